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
	"github.com/birlik/birlik/domain"
)

func init() {
	commands["token"] = command{
		summary: "issue a signed token (JWT) for trying the gateway",
		run: func(ctx context.Context, args []string) error {
			return runToken(args, os.Getenv, os.Stdout)
		},
	}
}

// defaultTokenTTL is the lifetime `birlik token` gives a token when --ttl is not set, unless
// the role's maximum is shorter.
const defaultTokenTTL = 8 * time.Hour

// runToken is the token command: it reads the flags in args and the environment (getenv) and
// prints the token to out. A --ttl longer than the role's maximum (BIRLIK_TOKEN_MAX_TTL) is
// refused.
func runToken(args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	role := fs.String("role", "", "the caller's role: "+strings.Join(auth.Roles, ", ")+" (required)")
	region := fs.String("region", "", "region scope: KATO code(s) separated by | (required for caseworker; empty: every region)")
	subject := fs.String("subject", "", "who: a citizen's IIN, an official's IIN or login (required)")
	client := fs.String("client", "birlik-cli", "the organisation or system the caller acts for")
	ttl := fs.Duration("ttl", 0, "how long the token is valid, at most the role's maximum (BIRLIK_TOKEN_MAX_TTL); default "+auth.FormatDuration(defaultTokenTTL)+" or the role's maximum if shorter")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: birlik token --role ROLE --subject WHO [--region KATO] [--ttl 1h] [--client NAME]\n\nPrints a token signed with the first key of BIRLIK_JWT_KEYS, or with the embedded\ndefault's key kept in BIRLIK_DATA (the one `birlik` serves with). Send it as\n`Authorization: Bearer <token>`. A token lives at most its role's maximum\n(BIRLIK_TOKEN_MAX_TTL, default "+auth.DefaultLifetimes().String()+").\n\nflags:")
		fs.PrintDefaults()
	}
	cfg, err := loadOptions(fs, args, getenv, forToken)
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
	life := *ttl
	if life == 0 {
		life = min(defaultTokenTTL, tokens.MaxLifetime(*role))
	}
	tok, err := tokens.Issue(id, life)
	if err != nil {
		if *ttl > 0 && *ttl > tokens.MaxLifetime(*role) {
			return fmt.Errorf("--ttl %s: %w", auth.FormatDuration(*ttl), err)
		}
		return err
	}
	fmt.Fprintln(out, tok)
	return nil
}

// tokenIssuer returns the issuer of the tokens the gateway configured by cfg verifies: those of
// BIRLIK_JWT_KEYS, or of the embedded default's key file when the gateway runs the simulators.
// With real sources and no BIRLIK_JWT_KEYS the gateway verifies no token, so none is issued.
func tokenIssuer(cfg options) (*auth.Tokens, error) {
	keys, err := tokenKeys(cfg, cfg.Sources.Embedded())
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("BIRLIK_JWT_KEYS is not set: with real sources (BIRLIK_*_URL) the gateway verifies only tokens signed with BIRLIK_JWT_KEYS, so a token signed otherwise would be refused; set BIRLIK_JWT_KEYS to the gateway's value")
	}
	return auth.NewTokens(keys, nil, auth.WithLifetimes(cfg.Access.TokenLifetimes))
}

// tokenKeys returns the gateway's token keys: BIRLIK_JWT_KEYS, else, when demo is true, the
// embedded default's key kept in the data folder; else none (tokens are off).
func tokenKeys(cfg options, demo bool) ([]auth.SigningKey, error) {
	if len(cfg.Access.TokenKeys) > 0 || !demo {
		return cfg.Access.TokenKeys, nil
	}
	k, err := auth.LoadOrCreateDemoJWTKey(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	return []auth.SigningKey{k}, nil
}

// demoTokens writes one token per role to out, valid for ttl or the role's maximum lifetime if
// shorter, for the embedded default's start-up banner: the citizen is citizenIIN, the
// caseworker works in region.
func demoTokens(out io.Writer, tokens *auth.Tokens, citizenIIN domain.IIN, region domain.KATO, ttl time.Duration) error {
	fmt.Fprintln(out, "demo tokens (send with X-Purpose, see docs/access.md):")
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
		life := min(ttl, tokens.MaxLifetime(role))
		tok, err := tokens.Issue(id, life)
		if err != nil {
			return fmt.Errorf("demo token for %s: %w", role, err)
		}
		fmt.Fprintf(out, "  %-10s (valid %-3s) %s\n", role, auth.FormatDuration(life), tok)
	}
	return nil
}
