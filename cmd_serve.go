package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/birlik/birlik/config"
)

func init() {
	commands["serve"] = command{
		summary: "serve the gateway (the default; the embedded demo with nothing configured)",
		run: func(ctx context.Context, args []string) error {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.Usage = func() {
				fmt.Fprintln(fs.Output(), "usage: birlik [serve] [flags]\n\nServes /query, the playground at /, /healthz, /readyz and /metrics. With no source URL\nconfigured it starts the five simulators over a generated demo country, an SQLite store in\nBIRLIK_DATA, a first sync, and prints a demo API key.\n\nEvery flag can also be set by the environment variable named beside it.\n\nflags:")
				fs.PrintDefaults()
			}
			cfg, err := config.Load(fs, args, os.Getenv)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			return runServe(ctx, cfg, os.Stdout)
		},
	}
}
