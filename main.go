// Command birlik is the Birlik gateway and its tools in one binary.
//
//	birlik                 serve the gateway (the embedded default with no configuration)
//	birlik sim             serve the five ministry simulators
//	birlik truth           print the generator's ground truth
//	birlik sync            pull every source's change feed into the store
//	birlik check           run the integrity checks
//	birlik token           issue a signed token for trying the gateway
//	birlik audit verify    verify the audit log's hash chain
//
// Every command has --help. main only dispatches; each command lives in its own cmd_*.go file.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand of the binary.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

// commands is filled by the init functions of the cmd_*.go files.
var commands = map[string]command{}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	name, args := "serve", os.Args[1:]
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		usage()
		return
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "birlik: unknown command %q\n\n", name)
		usage()
		os.Exit(2)
	}
	if err := cmd.run(ctx, args); err != nil {
		fmt.Fprintf(os.Stderr, "birlik %s: %v\n", name, err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: birlik [command] [flags]   (no command: serve)\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nrun 'birlik COMMAND --help' for a command's flags")
}
