// Command noisecurv reproduces "On the Superlinear Relationship between SGD Noise Covariance
// and Loss Landscape Curvature" (arXiv 2602.05600) and runs the toolkit's experiments.
//
// Usage:
//
//	noisecurv reproduce [--paper] [--out results/report]     every claim, then an HTML report
//	noisecurv report    [--out results/report]               the report from cached results only
//	noisecurv data fetch mnist|fashion-mnist|cifar10 [--dir data]
//	noisecurv train     [cell flags] [--out DIR]                train one model, save it
//	noisecurv analyze   [cell flags] | --run DIR | --weights FILE.npz
//	                                                         H, C, E[h^2], fits; .npz export
//	noisecurv grid      [--seeds 0,1,2,3] [--shard i/n] [--paper] resumable Table 1
//	noisecurv cache merge DIR...                                 add other machines' caches
//
// Cell flags: --dataset mnist --model mlp --loss ce --classes 10 --seed 0 [--paper]; every
// command's -h lists its flags with their defaults and examples.
// Results are cached under results/cache by a hash of their configuration, so every command
// resumes where a killed one stopped and never recomputes finished work. The first Ctrl-C
// stops the work after the current step and keeps what is finished; a second one quits at once.
//
// Exit status: 0 on success (and for -h), 1 when the work failed, 2 for a bad command line,
// 130 when interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// stdout and stderr are where commands write (tests capture them).
var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
)

func main() {
	ctx, stop := interruptible(context.Background(), func() { os.Exit(exitInterrupted) })
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil && !errors.Is(err, errHelp) {
		fmt.Fprintln(stderr, "noisecurv:", err)
	}
	os.Exit(exitCode(err))
}

var (
	// errUsage is wrapped by every error about the command line itself (exit status 2).
	errUsage = errors.New("usage")
	// errHelp stops a command after its -h text, before it does any work.
	errHelp = errors.New("help requested")
)

// Exit statuses.
const (
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT, as shells report it
)

// usageError is a command-line error: its text names the flag, the value and what is allowed.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// exitCode maps the error of run to the process's exit status.
func exitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, context.Canceled), errors.Is(err, errInterrupted):
		return exitInterrupted
	}
	return exitFailed
}

const usage = `noisecurv: SGD noise covariance vs loss curvature (arXiv 2602.05600)

usage: noisecurv COMMAND [flags]

Commands:
  reproduce   run every claim of the paper (computing what is not cached), then write the HTML report
  report      write the HTML report from cached results only; computes nothing, lists what is missing
  data fetch  download and verify a dataset (mnist, fashion-mnist, cifar10) into ./data
  train       train one grid cell and save the model under results/runs/NAME
  analyze     H, C, Covar, E[h^2] and the power-law fits of one cell, a trained run folder,
              or your own model's weights (.npz, e.g. from PyTorch); --npz exports the numbers
  grid        run the paper's Table 1 over seeds; resumable; --shard i/n for clusters
  cache merge DIR...  copy the verified entries of other cache folders (grid shards run
              elsewhere) into results/cache

Examples:
  noisecurv reproduce                      # the fast preset, about 6 minutes from a cold cache
  noisecurv analyze --per-class 20 --epochs 2
  noisecurv analyze --weights model.npz --map net.0=fc1,net.2=fc2,net.4=fc3 --hidden 50,50

Run 'noisecurv COMMAND -h' for a command's flags, defaults and examples.
Ctrl-C stops after the current step and keeps what is finished; a second Ctrl-C quits at once.
`

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	switch args[0] {
	case "reproduce":
		return cmdReproduce(ctx, args[1:])
	case "data":
		return cmdData(ctx, args[1:])
	case "train":
		return cmdTrain(ctx, args[1:])
	case "analyze":
		return cmdAnalyze(ctx, args[1:])
	case "grid":
		return cmdGrid(ctx, args[1:])
	case "report":
		return cmdReport(ctx, args[1:])
	case "cache":
		return cmdCache(ctx, args[1:])
	case "-h", "--help", "-help", "help":
		if len(args) > 1 && args[0] == "help" {
			return run(ctx, []string{args[1], "-h"})
		}
		fmt.Fprint(stdout, usage)
		return errHelp
	default:
		return usagef("unknown command %q: want reproduce, report, data, train, analyze, grid or cache (noisecurv -h lists them)", args[0])
	}
}
