package main

// cmd_token.go: `birlik token` issues a signed token with the configured key, for trying the
// gateway; demoTokens gives the embedded default one token per role to print at start-up.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/config"
	"github.com/birlik/birlik/domain"
)

func init() {
	commands["token"] = command{
		summary: "issue a signed token (JWT) for trying the gateway",
		run: func(ctx context.Context, args []string) error {
			fs := flag.NewFlagSet("token", flag.ContinueOnError)
			role := fs.String("role", "", "the caller's role: "+strings.Join(auth.Roles, ", ")+" (required)")
			region := fs.String("region", "", "region scope: KATO code(s) separated by | (required for caseworker; empty: every region)")
			subject := fs.String("subject", "", "who: a citizen's IIN, an official's IIN or login (required)")
			client := fs.String("client", "birlik-cli", "the organisation or system the caller acts for")
			ttl := fs.Duration("ttl", 8*time.Hour, "how long the token is valid")
			fs.Usage = func() {
				fmt.Fprintln(fs.Output(), "usage: birlik token --role ROLE --subject WHO [--region KATO] [--ttl 8h] [--client NAME]\n\nPrints a token signed with the first key of BIRLIK_JWT_KEYS, or with the embedded\ndefault's key kept in BIRLIK_DATA (the one `birlik` serves with). Send it as\n`Authorization: Bearer <token>`.\n\nflags:")
				fs.PrintDefaults()
			}
			cfg, err := config.Load(fs, args, os.Getenv)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			id := auth.Identity{Role: *role, Subject: *subject, Client: *client}
			if *region != "" {
				for _, r := range strings.Split(*region, "|") {
					k, err := domain.ParseKATO(r)
					if err != nil {
						return fmt.Errorf("--region: %w", err)
					}
					id.Regions = append(id.Regions, k)
				}
			}
			tokens, err := tokenIssuer(cfg)
			if err != nil {
				return err
			}
			tok, err := tokens.Issue(id, *ttl)
			if err != nil {
				return err
			}
			fmt.Println(tok)
			return nil
		},
	}
}

// tokenIssuer returns the gateway's token keys: BIRLIK_JWT_KEYS, or the embedded default's key
// in the data folder when none are configured.
func tokenIssuer(cfg config.Config) (*auth.Tokens, error) {
	keys := cfg.Access.JWTKeys
	if len(keys) == 0 {
		k, err := auth.LoadOrCreateDemoJWTKey(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		keys = []auth.SigningKey{k}
	}
	return auth.NewTokens(keys, nil)
}

// demoTokens writes one token per role to out, valid for ttl, for the embedded default's
// start-up banner: the citizen is citizenIIN, the caseworker works in region.
func demoTokens(out io.Writer, tokens *auth.Tokens, citizenIIN domain.IIN, region domain.KATO, ttl time.Duration) error {
	fmt.Fprintf(out, "demo tokens (valid %v; send with X-Purpose, see docs/access.md):\n", ttl)
	for _, role := range auth.Roles {
		id := auth.Identity{Role: role, Subject: "demo-" + role, Client: "demo"}
		switch role {
		case auth.RoleCitizen:
			id.Subject = string(citizenIIN)
			id.Client = "egov-mobile"
		case auth.RoleCaseworker:
			id.Regions = []domain.KATO{region}
			id.Client = "akimat"
		case auth.RoleHealth:
			id.Client = "umis"
		}
		tok, err := tokens.Issue(id, ttl)
		if err != nil {
			return fmt.Errorf("demo token for %s: %w", role, err)
		}
		fmt.Fprintf(out, "  %-10s %s\n", role, tok)
	}
	return nil
}
