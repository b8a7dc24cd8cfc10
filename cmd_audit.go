package main

// cmd_audit.go: `birlik audit verify` walks the audit log's hash chain and names the first
// entry that was changed, removed or reordered, or whose subject rows were changed.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/birlik/birlik/audit"
	"github.com/birlik/birlik/store"
)

func init() {
	commands["audit"] = command{
		summary: "verify the audit log's hash chain and subject rows (audit verify)",
		run: func(ctx context.Context, args []string) error {
			usage := "usage: birlik audit verify [flags]\n\nWalks the audit log of the configured store (DATABASE_URL, or the SQLite store in\nBIRLIK_DATA) entry by entry, recomputing each hash from the entry and from its subject rows\n(the index by IIN that myDataAccess reads), and names the first entry that was changed,\nremoved or reordered, or whose subject rows were. Exits 1 when the chain is broken. The last hash printed can\nbe kept elsewhere to detect a removal of the newest entries.\n\nflags:"
			if len(args) == 0 || (args[0] != "verify" && args[0] != "-h" && args[0] != "--help") {
				fmt.Fprintln(os.Stderr, usage)
				return errors.New("audit: want the subcommand verify")
			}
			if args[0] == "verify" {
				args = args[1:]
			}
			fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
			fs.Usage = func() {
				fmt.Fprintln(fs.Output(), usage)
				fs.PrintDefaults()
			}
			cfg, err := loadOptions(fs, args, os.Getenv, forStore)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			s, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
			if err != nil {
				return err
			}
			defer s.Close()
			rep, err := audit.Verify(ctx, s.Client)
			if err != nil {
				return err
			}
			if rep.Problem != nil {
				fmt.Printf("audit log BROKEN after %d entries: %s\n", rep.Entries, rep.Problem.Message)
				return fmt.Errorf("audit verify: %s", rep.Problem.Message)
			}
			fmt.Printf("audit log intact: %d entries, last hash %s\n", rep.Entries, rep.HeadHash)
			return nil
		},
	}
}
