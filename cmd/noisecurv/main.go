// Command noisecurv reproduces "On the Superlinear Relationship between SGD Noise Covariance
// and Loss Landscape Curvature" (arXiv 2602.05600) and runs the toolkit's experiments.
//
// Usage:
//
//	noisecurv reproduce [--paper] [--out results/report]     every claim, then an HTML report
//	noisecurv data fetch mnist|fashion-mnist|cifar10 [--dir data]
//	noisecurv train   [cell flags] [--out DIR]                  train one model, save it
//	noisecurv analyze [cell flags] | RUN_DIR                     H, C, E[h^2], fits; .npz export
//	noisecurv grid    [--seeds 0,1,2,3] [--shard i/n] [--paper] resumable Table 1
//	noisecurv report  [--out DIR]                                report from the cache
//
// Cell flags: --dataset mnist --model mlp --loss ce --classes 10 --seed 0 [--paper].
// Results are cached under results/cache by a hash of their configuration, so every command
// resumes where a killed one stopped and never recomputes finished work.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, errHelp) {
			return // the flag package printed the usage; -h is not a failure
		}
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "noisecurv:", err)
		os.Exit(1)
	}
}

var (
	errUsage = errors.New("usage")
	// errHelp stops a command after its -h usage text, before it does any work.
	errHelp = errors.New("help requested")
)

const usage = `noisecurv: SGD noise covariance vs loss curvature (arXiv 2602.05600)

Commands:
  reproduce   every claim of the paper on the fast preset (--paper: the paper's settings),
              then a standalone HTML report (default results/report/index.html)
  data fetch  NAME   put a verified copy of mnist, fashion-mnist or cifar10 in ./data
  train       train one grid cell and save the model under results/runs/NAME
  analyze     compute H, C, Covar, E[h^2] and the fits for one cell; --npz exports them
  grid        run the paper's Table 1 over seeds; resumable; --shard i/n for clusters
  report      write the HTML report and CSV/JSON of every cached result

Run 'noisecurv COMMAND -h' for a command's flags.
`

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errUsage
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
	case "-h", "--help", "help":
		fmt.Print(usage)
		return nil
	default:
		fmt.Fprintf(os.Stderr, "noisecurv: unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}
