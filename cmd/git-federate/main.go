// Command git-federate is one of the three names of git-remote-federate; see
// README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/git-remote-federate/git-remote-federate/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, "git-federate", os.Args[1:], app.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
