package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/noisecurv/noisecurv/lib/claims"
	"github.com/noisecurv/noisecurv/lib/experiment"
)

func reportFlags(name string, args []string) (claims.Options, string, []string, error) {
	fs := newFlagSet(name, "[--paper] [--out DIR] [--only C3,C4-C5] [--seeds N] [--models mlp]")
	paper := fs.Bool("paper", false, "the paper's settings (default: the fast preset; the paper's take hours on 2 cores)")
	out := fs.String("out", "", "report folder (default results/report)")
	only := fs.String("only", "", "comma-separated claim IDs to run (default all): C1,C2,C3,C4-C5,C6a,C6b,C7,v2,C8,ext")
	seeds := fs.Int("seeds", 1, "number of seeds (the paper averages 4)")
	cacheDir := fs.String("cache", "", "cache folder (default results/cache)")
	dataDir := fs.String("data", "", "dataset folder searched first")
	models := fs.String("models", "", "comma-separated architectures to run (default all: mlp,cnn); --paper --models mlp leaves out the CNN cells, hours each on a CPU")
	quiet := fs.Bool("q", false, "no progress lines")
	if err := parse(fs, args); err != nil {
		return claims.Options{}, "", nil, err
	}
	ms, err := claims.ParseModels(*models)
	if err != nil {
		return claims.Options{}, "", nil, fmt.Errorf("--models: %w", err)
	}
	o := claims.Options{Paper: *paper, Models: ms}
	for s := 0; s < *seeds; s++ {
		o.Seeds = append(o.Seeds, uint64(s))
	}
	o.Run = experiment.Options{CacheDir: *cacheDir, DataDir: *dataDir}
	if !*quiet {
		o.Run.Log = os.Stderr
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join(experiment.RepoRoot(), "results", "report")
	}
	return o, dir, splitList(*only), nil
}

// cmdReproduce runs every claim (computing what is not cached) and writes the report.
func cmdReproduce(ctx context.Context, args []string) error {
	o, dir, only, err := reportFlags("reproduce", args)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "reproduce: %s preset, report in %s\n", o.PresetName(), dir)
	return runClaims(ctx, o, dir, only)
}

// cmdReport is reproduce on whatever the cache holds; claims whose runs are missing are
// computed too (each claim is one code path), so run it after 'grid' or 'reproduce'.
func cmdReport(ctx context.Context, args []string) error {
	o, dir, only, err := reportFlags("report", args)
	if err != nil {
		return err
	}
	return runClaims(ctx, o, dir, only)
}

func runClaims(ctx context.Context, o claims.Options, dir string, only []string) error {
	start := time.Now()
	outs := claims.RunAll(ctx, o, only)
	failed := 0
	for _, oc := range outs {
		if oc.Err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "%s %s: FAILED: %v\n", oc.Entry.ID, oc.Entry.Name, oc.Err)
			continue
		}
		oc.Report.Print(os.Stdout)
	}
	if err := claims.WriteReport(dir, o, outs); err != nil {
		return err
	}
	fmt.Printf("report: %s (%.0fs)\n", filepath.Join(dir, "index.html"), time.Since(start).Seconds())
	if failed > 0 {
		return fmt.Errorf("%d of %d claims failed", failed, len(outs))
	}
	return nil
}
