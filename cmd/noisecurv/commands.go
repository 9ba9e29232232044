package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/atomicfile"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/data"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/nn"
)

func newFlagSet(name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: noisecurv %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return errHelp
		}
		return errUsage
	}
	return nil
}

func cmdData(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "fetch" {
		fmt.Fprintln(os.Stderr, "usage: noisecurv data fetch mnist|fashion-mnist|cifar10 [--dir data]")
		return errUsage
	}
	fs := newFlagSet("data fetch", "NAME... [--dir DIR]")
	dir := fs.String("dir", "", "where verified copies go (default ./data in the repository)")
	// Accept the names before or after the flags.
	var names []string
	rest := args[1:]
	for len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		names = append(names, rest[0])
		rest = rest[1:]
	}
	if err := parse(fs, rest); err != nil {
		return err
	}
	names = append(names, fs.Args()...)
	if len(names) == 0 {
		fs.Usage()
		return errUsage
	}
	for _, n := range names {
		if err := data.Fetch(n, *dir, os.Stderr); err != nil {
			return err
		}
	}
	return nil
}

func cmdTrain(ctx context.Context, args []string) error {
	fs := newFlagSet("train", "[cell flags] [--out DIR]")
	var cf cellFlags
	cf.register(fs)
	out := fs.String("out", "", "run folder (default results/runs/NAME)")
	if err := parse(fs, args); err != nil {
		return err
	}
	c, err := cf.config()
	if err != nil {
		return err
	}
	o := cf.options()
	h, err := experiment.Open(c, o)
	if err != nil {
		return err
	}
	t, err := h.Trained(ctx)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join(experiment.RepoRoot(), "results", "runs", c.Name())
	}
	if err := writeRun(dir, t); err != nil {
		return err
	}
	last := t.History.Epochs[len(t.History.Epochs)-1]
	fmt.Printf("%s: %d epochs in %.1fs, train loss %.3g, accuracy %.4f -> %s\n",
		c.Name(), len(t.History.Epochs), t.Seconds, last.Loss, last.Acc, dir)
	return nil
}

// writeRun writes model.bin, config.json and history.json of a trained run, each atomically.
func writeRun(dir string, t *experiment.Trained) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := nn.SaveFile(filepath.Join(dir, "model.bin"), t.Model); err != nil {
		return err
	}
	cb, _ := json.MarshalIndent(t.Config, "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(dir, "config.json"), cb); err != nil {
		return err
	}
	hb, err := json.MarshalIndent(t.History, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "history.json"), hb)
}

func cmdAnalyze(ctx context.Context, args []string) error {
	fs := newFlagSet("analyze", "[cell flags | --run RUN_DIR] [--npz FILE]")
	var cf cellFlags
	cf.register(fs)
	runDir := fs.String("run", "", "a run folder written by 'noisecurv train' (its config.json picks the cell)")
	npz := fs.String("npz", "", "also write eigenvalues and diagonals (H, C, Covar, E[h^2], F, EF; eigenbasis and coordinates) to this .npz")
	dense := fs.Bool("dense", false, "with --npz: also write the dense D x D matrices and H's eigenvectors of the final model (D=2500: ~350 MB)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *runDir == "" && fs.NArg() == 1 {
		*runDir = fs.Arg(0)
	}
	var c experiment.Config
	var err error
	if *runDir != "" {
		b, err := os.ReadFile(filepath.Join(*runDir, "config.json"))
		if err != nil {
			return fmt.Errorf("analyze: %w (a run folder holds config.json from 'noisecurv train')", err)
		}
		if err := json.Unmarshal(b, &c); err != nil {
			return fmt.Errorf("analyze: %s/config.json: %w", *runDir, err)
		}
		if err := c.Validate(); err != nil {
			return fmt.Errorf("analyze: %s/config.json: %w", *runDir, err)
		}
	} else if c, err = cf.config(); err != nil {
		return err
	}
	start := time.Now()
	r, err := experiment.Run(ctx, c, cf.options())
	if err != nil {
		return err
	}
	printResult(r)
	fmt.Printf("(%.1fs, backend %s)\n", time.Since(start).Seconds(), r.Backend)
	if *npz != "" {
		var extra map[string]*mat.Dense
		if *dense {
			if extra, err = denseMatrices(ctx, c, cf.options()); err != nil {
				return err
			}
		}
		return writeNPZ(*npz, r, extra)
	}
	if *dense {
		return fmt.Errorf("analyze: --dense needs --npz FILE to write the matrices to")
	}
	return nil
}

// denseMatrices recomputes the final model's dense matrices (the cache keeps diagonals only).
func denseMatrices(ctx context.Context, c experiment.Config, o experiment.Options) (map[string]*mat.Dense, error) {
	h, err := experiment.Open(c, o)
	if err != nil {
		return nil, err
	}
	out := map[string]*mat.Dense{}
	for _, target := range c.Targets {
		a, err := h.Analyze(ctx, experiment.FinalEpoch, target, curv.AnalysisOptions{KeepDense: true, KeepVectors: true})
		if err != nil {
			return nil, err
		}
		for m, d := range experiment.DenseMatrices(a.Dense) {
			out[target+"/dense/"+string(m)] = mat.DenseCopyOf(d)
		}
		out[target+"/dense/eigenvectors"] = a.Eigenvectors
	}
	return out, nil
}

func printResult(r *experiment.Result) {
	for _, s := range r.Snapshots {
		for _, l := range s.Layers {
			fmt.Printf("%s epoch %d layer %s (D=%d, N=%d, %s route)\n", r.Config.Name(), s.Epoch, l.Target, l.D, r.N, l.Route)
			for _, k := range experiment.FitKeys() {
				f, ok := l.Fit(k)
				if !ok {
					if e := l.FitError(k); e != "" {
						fmt.Printf("  %-9s no fit: %s\n", k, e)
					}
					continue
				}
				fmt.Printf("  %-9s gamma %.3f  R^2 %.3f  Spearman %.3f  points %d (dropped %d non-positive)\n",
					k, f.Slope, f.R2, f.Spearman, f.N, f.Dropped)
			}
		}
	}
}

// writeNPZ writes every snapshot's eigenvalues and diagonals under "e<epoch>/<layer>/", and
// the extra dense matrices under their own keys ("<layer>/dense/H", ...).
func writeNPZ(path string, r *experiment.Result, extra map[string]*mat.Dense) error {
	var b bytes.Buffer
	w := nn.NewNPZWriter(&b)
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m := extra[k]
		rows, cols := m.Dims()
		if err := w.Float64s(k, []int{rows, cols}, mat.DenseCopyOf(m).RawMatrix().Data); err != nil {
			return err
		}
	}
	for _, s := range r.Snapshots {
		for _, l := range s.Layers {
			p := fmt.Sprintf("e%d/%s/", s.Epoch, l.Target)
			if err := w.Float64s(p+"eigenvalues", []int{len(l.Eigenvalues)}, l.Eigenvalues); err != nil {
				return err
			}
			for _, m := range experiment.Matrices {
				if v := l.Diagonal(m); v != nil {
					if err := w.Float64s(p+string(m), []int{len(v)}, v); err != nil {
						return err
					}
				}
			}
			for _, m := range experiment.Matrices {
				if v := l.CoordDiagonal(m); v != nil {
					if err := w.Float64s(p+"coord/"+string(m), []int{len(v)}, v); err != nil {
						return err
					}
				}
			}
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, b.Bytes()); err != nil {
		return err
	}
	fmt.Println("wrote", path)
	return nil
}

func cmdGrid(ctx context.Context, args []string) error {
	fs := newFlagSet("grid", "[--seeds 0,1,2,3] [--shard i/n] [--paper] [--datasets ..] [--models ..] [--losses ..]")
	seeds := fs.String("seeds", "0,1,2,3", "comma-separated seeds")
	shard := fs.String("shard", "", "run only shard i of n (0-based, e.g. 2/8): for a Slurm array use $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT")
	paper := fs.Bool("paper", false, "the paper's settings (default: the fast preset)")
	datasets := fs.String("datasets", "", "comma-separated datasets (default all)")
	models := fs.String("models", "", "comma-separated models (default all)")
	losses := fs.String("losses", "", "comma-separated losses (default all)")
	dryRun := fs.Bool("n", false, "list the cells and whether they are cached, run nothing")
	cacheDir := fs.String("cache", "", "cache folder (default results/cache)")
	dataDir := fs.String("data", "", "dataset folder searched first")
	precision := fs.String("precision", experiment.Float32, "training arithmetic: float32 (the paper's) or float64")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkPrecision(*precision); err != nil {
		return fmt.Errorf("grid: %w", err)
	}
	var ss []uint64
	for _, s := range splitList(*seeds) {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("grid: flag -seeds: %q is not a seed", s)
		}
		ss = append(ss, v)
	}
	cs := experiment.Grid(ss, !*paper, splitList(*datasets), splitList(*models), splitList(*losses))
	for i := range cs {
		cs[i].Precision = *precision
	}
	if *shard != "" {
		var i, n int
		if _, err := fmt.Sscanf(*shard, "%d/%d", &i, &n); err != nil {
			return fmt.Errorf("grid: flag -shard %q: want i/n", *shard)
		}
		var err error
		if cs, err = experiment.Shard(cs, i, n); err != nil {
			return err
		}
	}
	o := experiment.Options{CacheDir: *cacheDir, DataDir: *dataDir, Log: os.Stderr}
	if *dryRun {
		for _, c := range cs {
			_, ok := experiment.Cached(c, o)
			fmt.Printf("%-40s cached=%v\n", c.Name(), ok)
		}
		return nil
	}
	var failed []string
	for i, c := range cs {
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "grid: cell %d/%d %s\n", i+1, len(cs), c.Name())
		r, err := experiment.Run(ctx, c, o)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "grid: %s failed: %v\n", c.Name(), err)
			failed = append(failed, c.Name())
			continue
		}
		l, _ := r.Final("")
		fmt.Printf("%-40s gamma_emp %.3f  gamma_AWD %.3f\n", c.Name(), l.Gamma(experiment.MatC.V1()), l.Gamma(experiment.MatEh2.V1()))
	}
	if len(failed) > 0 {
		return fmt.Errorf("grid: %d of %d cells failed: %s", len(failed), len(cs), strings.Join(failed, ", "))
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
