package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
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

func cmdData(ctx context.Context, args []string) error {
	fs := newFlagSet(help{
		name: "data fetch", args: "NAME... [--dir DIR]",
		about: `Downloads mnist, fashion-mnist or cifar10, verifies every file against digests compiled into
the program, and keeps the verified copy in ./data (or --dir). Datasets already on the machine
(./data, $NOISECURV_DATA, Debian's dataset-* packages) are found without fetching.`,
		examples: []string{"noisecurv data fetch mnist", "noisecurv data fetch fashion-mnist cifar10 --dir /scratch/data"},
	})
	dir := fs.String("dir", "", "where verified copies go (default ./data in the repository)")
	rest, err := verb(fs, args, "fetch", "data: want 'noisecurv data fetch NAME...' with NAME one of "+strings.Join(datasets, ", "))
	if err != nil {
		return err
	}
	// Accept the names before or after the flags.
	var names []string
	for len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		names = append(names, rest[0])
		rest = rest[1:]
	}
	if err := parse(fs, rest, true); err != nil {
		return err
	}
	names = append(names, fs.Args()...)
	if len(names) == 0 {
		return usagef("data fetch: no dataset named: want one or more of %s", strings.Join(datasets, ", "))
	}
	for _, n := range names {
		if err := oneOf("dataset name", n, datasets...); err != nil {
			return usagef("data fetch: unknown dataset %q: want %s", n, strings.Join(datasets, ", "))
		}
	}
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return interrupted(ctx, err, "the datasets fetched before it are kept")
		}
		if err := data.Fetch(n, *dir, stderr); err != nil {
			return err
		}
	}
	return nil
}

func cmdTrain(ctx context.Context, args []string) error {
	fs := newFlagSet(help{
		name: "train", args: "[cell flags] [--out DIR]",
		about: `Trains the model of one cell of the paper's grid (dataset, model, loss, classes, seed) on its
seeded data subset and saves model.bin, config.json and history.json in a run folder, which
'noisecurv analyze --run DIR' reads. The trained model is also cached, so 'analyze' with the
same flags does not train again.`,
		examples: []string{
			"noisecurv train                                  # MNIST MLP, cross-entropy, 10 classes, fast preset",
			"noisecurv train --loss mse --classes 3 --seed 1 --out runs/mse3",
			"noisecurv train --per-class 20 --epochs 2 --lr 0.05   # a quick check",
		},
		after: presetTable,
	})
	var cf cellFlags
	cf.register(fs)
	out := fs.String("out", "", "run folder (default results/runs/NAME)")
	if err := parse(fs, args, false); err != nil {
		return err
	}
	c, err := cf.config(setFlags(fs))
	if err != nil {
		return err
	}
	o, done := cf.options()
	defer done()
	h, err := experiment.Open(c, o)
	if err != nil {
		return err
	}
	t, err := h.Trained(ctx)
	if err != nil {
		return interrupted(ctx, err, "training stopped before its end; nothing was saved")
	}
	done()
	dir := *out
	if dir == "" {
		dir = filepath.Join(experiment.RepoRoot(), "results", "runs", c.Name())
	}
	if err := writeRun(dir, t); err != nil {
		return err
	}
	last := t.History.Epochs[len(t.History.Epochs)-1]
	fmt.Fprintf(stdout, "%s: %d epochs in %.1fs, train loss %.3g, accuracy %.4f -> %s\n",
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
	cb, err := json.MarshalIndent(t.Config, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "config.json"), cb); err != nil {
		return err
	}
	hb, err := json.MarshalIndent(t.History, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "history.json"), hb)
}

const analyzeAbout = `Measures one model: the Hessian H of the target layer, its eigendecomposition, and in H's
eigenbasis the SGD noise covariance C (Eq. 2), the minibatch estimator Covar, E_p[h_p^2], the
true and empirical Fisher; then the power-law fits of log A_ii on log H_ii with both window
rules (v1: the top N' directions; v2: the layer-wise rule). Three sources:

  cell flags      a cell of the paper's grid, trained (or loaded from the cache) and analysed
                  at the end and at every --checkpoints epoch; the result is cached.
  --run DIR       the model.bin of a run folder written by 'noisecurv train' (its config.json
                  gives the data subset and settings); cell flags other than --cache, --data,
                  --budget, -q are refused.
  --weights FILE  your own model as a NumPy .npz of its parameters (e.g. a PyTorch state_dict,
                  see below); the cell flags give the architecture, data subset and settings.

--npz writes every analysed snapshot's eigenvalues and diagonals under "e<epoch>/<layer>/"
("e0/..." for --weights), e.g. e30/fc2/eigenvalues, e30/fc2/C, e30/fc2/coord/H.`

const weightsHelp = `Your own model (--weights): the archive holds the parameters under the names of the project's
layers (fc1.weight (out x in, PyTorch layout), fc1.bias, ...; nn.ExportNPZ writes them, with a
"spec" key giving the architecture). --map renames the archive's keys: --map FILE_KEY=OUR_NAME,
where FILE_KEY is a key in the file (or a prefix such as net.0, renaming net.0.weight and
net.0.bias) and OUR_NAME the project's name (fc2.weight, or the prefix fc2); repeat --map or
separate pairs by commas. Without a "spec" key the architecture is --model (mlp, deep-mlp, cnn)
with --hidden widths and --bias, or --spec FILE (an nn.Spec as JSON); keys that are neither
parameters nor data are refused, so nothing is silently left out. The data: keys "x" and "y"
(the exact samples, x normalized as in training), else the sample indices into the dataset's
training set ("indices" in the file, or --indices FILE: integers separated by spaces, commas or
newlines), else the seeded subset of --classes, --per-class and --seed, as for the project's
own runs. From PyTorch (a model whose Linear layers are net.0, net.2, net.4, trained on the
MNIST training samples idx, normalized as the project does):

  import numpy as np
  sd = {k: v.detach().cpu().double().numpy() for k, v in model.state_dict().items()}
  np.savez("model.npz", indices=np.asarray(idx, dtype=np.int64), **sd)
  # then: noisecurv analyze --weights model.npz --map net.0=fc1,net.2=fc2,net.4=fc3 \
  #         --hidden 50,50 --bias --target fc2 --npz out.npz`

func cmdAnalyze(ctx context.Context, args []string) error {
	fs := newFlagSet(help{
		name: "analyze", args: "[cell flags | --run DIR | --weights FILE.npz [--map K=NAME]] [--npz FILE]",
		about: analyzeAbout,
		examples: []string{
			"noisecurv analyze --per-class 20 --epochs 2              # a quick check (seconds)",
			"noisecurv analyze --dataset cifar10 --loss mse --classes 3 --npz c3.npz",
			"noisecurv analyze --run results/runs/mnist-mlp-ce-c10-s0",
			"noisecurv analyze --weights model.npz --map W0=fc1.weight,W1=fc2.weight,W2=fc3.weight --hidden 50,50",
		},
		after: func(w io.Writer) {
			presetTable(w)
			fmt.Fprintf(w, "\n%s\n", weightsHelp)
		},
	})
	var cf cellFlags
	cf.register(fs)
	var wf weightFlags
	wf.register(fs)
	runDir := fs.String("run", "", "a run folder written by 'noisecurv train': analyse its model.bin")
	npz := fs.String("npz", "", "also write eigenvalues and diagonals (H, C, Covar, E[h^2], F, EF; eigenbasis and coordinates) to this .npz")
	dense := fs.Bool("dense", false, "with --npz: also write the dense D x D matrices and H's eigenvectors of the final model (D = 2500: about 350 MB)")
	if err := parse(fs, args, true); err != nil {
		return err
	}
	set := setFlags(fs)
	if fs.NArg() > 1 || (fs.NArg() == 1 && (*runDir != "" || wf.file != "")) {
		return usagef("analyze: unexpected argument %q: the only positional argument is a run folder (same as --run DIR)", fs.Arg(fs.NArg()-1))
	}
	if fs.NArg() == 1 {
		*runDir = fs.Arg(0)
	}
	if *dense && *npz == "" {
		return usagef("analyze: flag --dense needs --npz FILE to write the matrices to")
	}
	if *dense && (cf.topK > 0 || *runDir != "" || wf.file != "") {
		return usagef("analyze: flag --dense works with cell flags and a dense analysis only (not with --topk, --run or --weights)")
	}
	if *npz != "" {
		if err := checkWritable(*npz); err != nil {
			return usagef("analyze: flag --npz = %q: %v", *npz, err)
		}
	}
	if *runDir != "" && wf.file != "" {
		return usagef("analyze: flags --run and --weights exclude each other: analyse a run folder or a weights file")
	}
	if wf.file == "" {
		if n := wf.setNames(set); n != "" {
			return usagef("analyze: flag --%s works only with --weights FILE", n)
		}
	}
	start := time.Now()
	var r *experiment.Result
	var label string
	switch {
	case *runDir != "":
		for _, n := range []string{"dataset", "model", "loss", "act", "classes", "seed", "paper", "epochs", "per-class", "batch", "lr", "label-noise", "checkpoints", "topk", "precision"} {
			if set[n] {
				return usagef("analyze: flag --%s has no effect with --run DIR: the run's config.json fixes the cell", n)
			}
		}
		var err error
		if r, err = analyzeRun(ctx, *runDir, &cf); err != nil {
			return err
		}
		label = *runDir
	case wf.file != "":
		for _, n := range []string{"epochs", "lr", "label-noise", "checkpoints", "precision"} {
			if set[n] {
				return usagef("analyze: flag --%s has no effect with --weights: the model is already trained", n)
			}
		}
		var err error
		if r, err = analyzeWeights(ctx, &wf, &cf, set); err != nil {
			return err
		}
		label = filepath.Base(wf.file)
	default:
		c, err := cf.config(set)
		if err != nil {
			return err
		}
		o, done := cf.options()
		r, err = experiment.Run(ctx, c, o)
		done()
		if err != nil {
			err = budgetHint(err)
			return interrupted(ctx, err, "what finished is cached (a completed training run is); run the same command again to resume")
		}
		label = c.Name()
		if *dense {
			extra, err := denseMatrices(ctx, c, o)
			if err != nil {
				return interrupted(ctx, err, "the analysis is cached; nothing was written")
			}
			printResult(label, r)
			return writeNPZ(*npz, r, extra)
		}
	}
	printResult(label, r)
	fmt.Fprintf(stdout, "(%.1fs, backend %s)\n", time.Since(start).Seconds(), r.Backend)
	if *npz != "" {
		return writeNPZ(*npz, r, nil)
	}
	return nil
}

// checkWritable fails early when path's folder does not exist or path is a folder, so that
// a long analysis does not end in an unwritable output.
func checkWritable(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return errors.New("is a folder")
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("folder %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	return nil
}

// analyzeRun analyses the model.bin of a run folder on the data subset of its config.json.
func analyzeRun(ctx context.Context, dir string, cf *cellFlags) (*experiment.Result, error) {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("analyze: %w (a run folder holds config.json, model.bin and history.json from 'noisecurv train')", err)
	}
	var c experiment.Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("analyze: %s: %w", filepath.Join(dir, "config.json"), err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("analyze: %s: %w", filepath.Join(dir, "config.json"), err)
	}
	m, err := nn.LoadFile(filepath.Join(dir, "model.bin"))
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	epoch := c.Epochs
	if hb, err := os.ReadFile(filepath.Join(dir, "history.json")); err == nil {
		var h nn.History
		if json.Unmarshal(hb, &h) == nil && len(h.Epochs) > 0 {
			epoch = len(h.Epochs)
		}
	}
	o, done := cf.options()
	defer done()
	set, err := experiment.Data(c, o)
	if err != nil {
		return nil, err
	}
	if m.Spec.In.Size() != set.Features() {
		return nil, fmt.Errorf("analyze: %s/model.bin takes %d inputs, but %s has %d features per sample", dir, m.Spec.In.Size(), c.Dataset, set.Features())
	}
	return analyzeModel(ctx, c, m, set, epoch, o, filepath.Base(dir))
}

// analyzeModel analyses every target layer of c on model m (one snapshot, not cached: the
// model comes from outside the cache).
func analyzeModel(ctx context.Context, c experiment.Config, m *nn.Model, set *data.Set, epoch int, o experiment.Options, label string) (*experiment.Result, error) {
	if show := o.Progress; show != nil {
		// Progress names the model analysed, not the preset cell it borrows settings from.
		o.Progress = func(ev experiment.Event) { ev.Run = label; show(ev) }
	}
	r := &experiment.Result{Config: c, Backend: "", N: set.Len()}
	snap := experiment.Snapshot{Epoch: epoch}
	for _, target := range c.Targets {
		l, err := experiment.AnalyzeLayer(ctx, c, m, set, target, true, o)
		if err != nil {
			err = budgetHint(err)
			return nil, interrupted(ctx, fmt.Errorf("analyze: layer %s: %w", target, err), "nothing was written (an analysis of an outside model is not cached)")
		}
		snap.Layers = append(snap.Layers, *l)
	}
	r.Snapshots = []experiment.Snapshot{snap}
	r.Backend = backend()
	return r, nil
}

// denseMatrices recomputes the final model's dense matrices (the cache keeps diagonals only).
func denseMatrices(ctx context.Context, c experiment.Config, o experiment.Options) (map[string]*mat.Dense, error) {
	h, err := experiment.Open(c, o)
	if err != nil {
		return nil, err
	}
	out := map[string]*mat.Dense{}
	for _, target := range c.Targets {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, err := h.Analyze(ctx, experiment.FinalEpoch, target, curv.AnalysisOptions{KeepDense: true, KeepVectors: true})
		if err != nil {
			return nil, budgetHint(err)
		}
		for m, d := range experiment.DenseMatrices(a.Dense) {
			out[target+"/dense/"+string(m)] = mat.DenseCopyOf(d)
		}
		out[target+"/dense/eigenvectors"] = a.Eigenvectors
	}
	return out, nil
}

func printResult(label string, r *experiment.Result) {
	for _, s := range r.Snapshots {
		for _, l := range s.Layers {
			at := ""
			if s.Epoch > 0 {
				at = fmt.Sprintf(" epoch %d", s.Epoch)
			}
			fmt.Fprintf(stdout, "%s%s layer %s (D=%d, N=%d, %s route)\n", label, at, l.Target, l.D, r.N, l.Route)
			// The loss lets a user of --weights check the import against their framework.
			fmt.Fprintf(stdout, "  mean loss %.6g  |gradient| %.3g  top eigenvalue of H %.4g\n", l.MeanLoss, l.GNorm, first(l.Eigenvalues))
			for _, k := range experiment.FitKeys() {
				f, ok := l.Fit(k)
				if !ok {
					if e := l.FitError(k); e != "" {
						fmt.Fprintf(stdout, "  %-9s no fit: %s\n", k, e)
					}
					continue
				}
				fmt.Fprintf(stdout, "  %-9s gamma %.3f  R^2 %.3f  Spearman %.3f  points %d (dropped %d non-positive)\n",
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
	fmt.Fprintln(stdout, "wrote", path)
	return nil
}

func cmdGrid(ctx context.Context, args []string) error {
	fs := newFlagSet(help{
		name: "grid", args: "[--seeds 0,1,2,3] [--shard i/n] [--paper] [--datasets ..] [--models ..] [--losses ..]",
		about: `Runs the cells of the paper's Table 1 (8 dataset/model/loss rows x C' = 3, 6, 10 x seeds),
one after another, printing gamma_emp and gamma_AWD of each. Finished cells are cached, so a
killed or interrupted grid resumes where it stopped; --shard splits the cells among machines
sharing one cache folder. 'noisecurv report' then tabulates whatever is cached.`,
		examples: []string{
			"noisecurv grid --seeds 0 --datasets mnist --models mlp      # 6 fast cells",
			"noisecurv grid -n --paper                                    # list the cells and what is cached",
			"noisecurv grid --paper --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT",
		},
		after: presetTable,
	})
	seeds := fs.String("seeds", "0,1,2,3", "comma-separated seeds (non-negative integers)")
	shard := fs.String("shard", "", "run only shard `i/n` (0-based, 0 <= i < n): for a Slurm array use $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT")
	paper := fs.Bool("paper", false, "the paper's settings (default: the fast preset)")
	dsf := fs.String("datasets", "", "comma-separated datasets of Table 1: mnist, cifar10 (default both)")
	msf := fs.String("models", "", "comma-separated models: mlp, cnn (default both)")
	lsf := fs.String("losses", "", "comma-separated losses: ce, mse (default both)")
	dryRun := fs.Bool("n", false, "list the cells and whether they are cached; run and change nothing")
	cacheDir := fs.String("cache", "", "cache folder (default results/cache)")
	dataDir := fs.String("data", "", "dataset folder searched first")
	quiet := fs.Bool("q", false, "quiet: no progress lines")
	precision := fs.String("precision", experiment.Float32, "training arithmetic: float32 (the paper's) or float64")
	if err := parse(fs, args, false); err != nil {
		return err
	}
	if err := oneOf("precision", *precision, experiment.Float32, experiment.Float64); err != nil {
		return err
	}
	var ss []uint64
	sl, _ := list("seeds", *seeds)
	for _, s := range sl {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return flagErr("seeds", *seeds, "comma-separated non-negative integers, e.g. 0,1,2,3")
		}
		ss = append(ss, v)
	}
	if len(ss) == 0 {
		return flagErr("seeds", *seeds, "at least one seed, e.g. 0,1,2,3")
	}
	dl, err := list("datasets", *dsf, "mnist", "cifar10")
	if err != nil {
		return err
	}
	ml, err := list("models", *msf, "mlp", "cnn")
	if err != nil {
		return err
	}
	ll, err := list("losses", *lsf, "ce", "mse")
	if err != nil {
		return err
	}
	cs := experiment.Grid(ss, !*paper, dl, ml, ll)
	for i := range cs {
		cs[i].Precision = *precision
	}
	if *shard != "" {
		i, n, err := parseShard(*shard)
		if err != nil {
			return err
		}
		if cs, err = experiment.Shard(cs, i, n); err != nil {
			return err
		}
	}
	if *dryRun {
		for _, c := range cs {
			_, ok := experiment.Cached(c, experiment.Options{CacheDir: *cacheDir})
			fmt.Fprintf(stdout, "%-40s cached=%v\n", c.Name(), ok)
		}
		return nil
	}
	o, p := progress(*quiet)
	defer closeProgress(p)
	o.CacheDir, o.DataDir = *cacheDir, *dataDir
	var failed []string
	for i, c := range cs {
		if err := ctx.Err(); err != nil {
			return interrupted(ctx, err, gridKept(i, len(cs), *cacheDir))
		}
		if o.Log != nil {
			fmt.Fprintf(o.Log, "grid: cell %d/%d %s\n", i+1, len(cs), c.Name())
		}
		r, err := experiment.Run(ctx, c, o)
		if err != nil {
			if ctx.Err() != nil {
				return interrupted(ctx, err, gridKept(i, len(cs), *cacheDir))
			}
			fmt.Fprintf(stderr, "grid: %s failed: %v\n", c.Name(), budgetHint(err))
			failed = append(failed, c.Name())
			continue
		}
		l, err := r.Final("")
		if err != nil {
			return err
		}
		closeProgress(p) // ends the status line before the result line
		fmt.Fprintf(stdout, "%-40s gamma_emp %.3f  gamma_AWD %.3f\n", c.Name(), l.Gamma(experiment.MatC.V1()), l.Gamma(experiment.MatEh2.V1()))
	}
	if len(failed) > 0 {
		return fmt.Errorf("grid: %d of %d cells failed: %s", len(failed), len(cs), strings.Join(failed, ", "))
	}
	return nil
}

func gridKept(done, total int, cacheDir string) string {
	if cacheDir == "" {
		cacheDir = filepath.Join(experiment.RepoRoot(), "results", "cache")
	}
	return fmt.Sprintf("%d of %d cells finished and are cached in %s (with any finished training of the interrupted cell); run the same command again to resume", done, total, cacheDir)
}

func first(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	return v[0]
}

// budgetHint adds the command line's remedies to a refusal by the memory budget.
func budgetHint(err error) error {
	if errors.Is(err, curv.ErrBudget) {
		return fmt.Errorf("%w\n(on the command line: --budget GiB raises the budget; --topk K analyses only the top K directions of H, with no D x D matrix)", err)
	}
	return err
}
