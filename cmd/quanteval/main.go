// Command quanteval evaluates precision variants of a model served behind an
// OpenAI-compatible API and compares them with honest statistics.
//
//	quanteval run      evaluate one endpoint on an eval set
//	quanteval compare  compare result files: table, chart, HTML report, statistics
//	quanteval merge    join the results of the shards of one run (run --shard)
//	quanteval wait     wait until servers answer their health path
//	quanteval matrix   run a whole test plan: start each server, evaluate, stop, report
//	quanteval bench    load one endpoint: TTFT, TPOT, ITL, E2EL, throughput, goodput
//	quanteval evalset  list the eval sets; freeze a reference run into a set
//
// The command only parses flags and wires the packages together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/quanteval/quanteval/eval"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// stopSignals stop the work as Ctrl-C does (save, stop the servers, exit 130): an
// interrupt, a polite kill, and the terminal closing (SIGHUP), whose default action
// would end quanteval at once and leave the server it started running.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	defer stop()
	ctx = withStopNow(ctx, secondSignal(ctx, stop, os.Stderr))
	os.Exit(exitCode(quanteval(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// secondSignal returns a channel closed by a second Ctrl-C (or stop signal): the first
// stops the work and lets it save what it has, the second cuts the grace short
// (requests in flight are dropped, servers get SIGKILL at once). A third one ends the
// process as the default handler does.
func secondSignal(ctx context.Context, stop func(), stderr io.Writer) <-chan struct{} {
	now := make(chan struct{})
	go func() { // lives as long as the process
		<-ctx.Done()
		stop()
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, stopSignals...)
		<-sig
		signal.Stop(sig)
		fmt.Fprintln(stderr, "quanteval: second interrupt: stopping at once")
		close(now)
	}()
	return now
}

type stopNowKey struct{}

func withStopNow(ctx context.Context, now <-chan struct{}) context.Context {
	return context.WithValue(ctx, stopNowKey{}, now)
}

// stopNowOf is the channel closed by a second interrupt (nil in tests that set none).
func stopNowOf(ctx context.Context) <-chan struct{} {
	h, _ := ctx.Value(stopNowKey{}).(<-chan struct{})
	return h
}

// Exit statuses: 0 done, 1 the run failed, 2 bad usage or bad input, 130 interrupted.
const (
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError is bad usage or bad input: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "quanteval:", err)
	var ue usageError
	var ie *eval.InputError
	switch {
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ue), errors.As(err, &ie):
		return exitUsage
	}
	return exitFailed
}

const topUsage = `usage: quanteval COMMAND [flags]

commands:
  run       evaluate one OpenAI-compatible endpoint on an eval set
  compare   compare result files (table, chart, HTML report, statistics)
  merge     join the results of the shards of one run (run --shard I/N)
  matrix    run a whole test plan from a YAML file
  wait      wait until servers answer their health path (the Kubernetes Jobs' init container)
  bench     measure one endpoint's speed under load (TTFT, TPOT, throughput)
  evalset   list the eval sets (evalset list); freeze a reference run into a set

Run 'quanteval COMMAND -h' for a command's flags.
`

// quanteval is the whole program; tests call it.
func quanteval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return usagef("no command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return cmdRun(ctx, rest, stdout, stderr)
	case "compare":
		return cmdCompare(ctx, rest, stdout, stderr)
	case "merge":
		return cmdMerge(ctx, rest, stdout, stderr)
	case "wait":
		return cmdWait(ctx, rest, stdout, stderr)
	case "matrix":
		return cmdMatrix(ctx, rest, stdout, stderr)
	case "bench":
		return cmdBench(ctx, rest, stdout, stderr)
	case "evalsets": // the old name of `evalset list`
		if len(rest) > 0 && rest[0] == "list" {
			rest = rest[1:]
		}
		return cmdEvalsetList(ctx, rest, stdout, stderr)
	case "evalset":
		return cmdEvalset(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "quanteval", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, topUsage)
		return nil
	}
	fmt.Fprint(stderr, topUsage)
	return usagef("unknown command %q", cmd)
}
