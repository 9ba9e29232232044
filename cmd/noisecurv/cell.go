package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/experiment"
)

// cellFlags are the flags that pick one experiment: a grid cell, a seed, the preset and
// overrides of the preset's training settings.
type cellFlags struct {
	dataset, model, loss, act string
	classes                   int
	seed                      uint64
	paper                     bool
	epochs, perClass, batch   int
	lr, labelNoise, budgetGiB float64
	topK                      int
	checkpoints               string
	cacheDir, dataDir         string
	quiet                     bool
	precision                 string
	// weights: the cell only lends its settings to analyze --weights, whose own checks
	// replace those that depend on the preset's data subset.
	weights bool
}

var (
	datasets = []string{"mnist", "fashion-mnist", "cifar10"}
	models   = []string{"mlp", "cnn", "deep-mlp"}
	losses   = []string{"ce", "mse", "logit-mse"}
	acts     = []string{"relu", "tanh"}
)

func (f *cellFlags) register(fs *flags) {
	fs.StringVar(&f.dataset, "dataset", "mnist", "the dataset: mnist, fashion-mnist (MNIST's rows of Table 1) or cifar10")
	fs.StringVar(&f.model, "model", "mlp", "the architecture: mlp, cnn or deep-mlp (v2's layer-wise 784-50-50-50-50-10)")
	fs.StringVar(&f.loss, "loss", "ce", "the loss: ce, mse (softmax then MSE, the paper's) or logit-mse")
	fs.StringVar(&f.act, "act", "relu", "hidden activation: relu (the paper) or tanh")
	fs.IntVar(&f.classes, "classes", 10, "number of classes C': 3, 6 or 10 (deep-mlp: 1 to 10)")
	fs.Uint64Var(&f.seed, "seed", 0, "seed of the data subset, the initialization and the shuffles")
	fs.BoolVar(&f.paper, "paper", false, "the paper's settings (Table 1) instead of the fast preset")
	fs.IntVar(&f.epochs, "epochs", 0, "train for `N` epochs (default: the preset's, see below)")
	fs.IntVar(&f.perClass, "per-class", 0, "`N` training samples per class (default: the preset's, see below)")
	fs.IntVar(&f.batch, "batch", 0, "SGD batch size `B`, 1 to N = classes x per-class (default: the preset's, see below)")
	fs.Float64Var(&f.lr, "lr", 0, "initial learning rate `LR` of the cosine schedule, > 0 (default: the preset's, 0.1)")
	fs.Float64Var(&f.labelNoise, "label-noise", 0, "`fraction` of training labels replaced by a wrong one, in [0, 1); needs --classes >= 2")
	fs.StringVar(&f.checkpoints, "checkpoints", "", "comma-separated epochs to analyse besides the last, each 1 to --epochs")
	fs.IntVar(&f.topK, "topk", 0, "analyse only the top `k` eigen-directions of H by Lanczos, no D x D matrix (k >= the fit window N'; default 0: dense, with the commutation metrics)")
	fs.Float64Var(&f.budgetGiB, "budget", 0, "memory budget in `GiB` for one dense curvature computation (default 8); a bigger request fails at once, naming --topk as the cheaper way")
	fs.StringVar(&f.cacheDir, "cache", "", "cache folder (default results/cache in the repository)")
	fs.StringVar(&f.dataDir, "data", "", "dataset folder searched first (default ./data, then $NOISECURV_DATA)")
	fs.BoolVar(&f.quiet, "q", false, "quiet: no progress lines")
	fs.StringVar(&f.precision, "precision", experiment.Float32, "training arithmetic: float32 (the paper's) or float64")
}

// config builds the experiment from the flags, checking every flag given (set) first so that
// the error names the flag, its value and what is allowed.
func (f *cellFlags) config(set map[string]bool) (experiment.Config, error) {
	var c experiment.Config
	if err := oneOf("dataset", f.dataset, datasets...); err != nil {
		return c, err
	}
	if err := oneOf("model", f.model, models...); err != nil {
		return c, err
	}
	if err := oneOf("loss", f.loss, losses...); err != nil {
		return c, err
	}
	if err := oneOf("act", f.act, acts...); err != nil {
		return c, err
	}
	if f.model == "deep-mlp" {
		if f.classes < 1 || f.classes > 10 {
			return c, flagErr("classes", f.classes, "1 to 10 for --model deep-mlp")
		}
		c = experiment.LayerWise(f.seed)
		c.Dataset, c.Loss, c.Classes = f.dataset, f.loss, f.classes
	} else {
		if f.classes != 3 && f.classes != 6 && f.classes != 10 {
			return c, flagErr("classes", f.classes, "3, 6 or 10 (the paper's grid)")
		}
		var err error
		if c, err = experiment.Paper(f.dataset, f.model, f.loss, f.classes, f.seed); err != nil {
			return c, usagef("%v", err)
		}
	}
	if !f.paper {
		c = experiment.Fast(c)
	}
	c.Act = f.act
	if err := oneOf("precision", f.precision, experiment.Float32, experiment.Float64); err != nil {
		return c, err
	}
	c.Precision = f.precision
	for _, p := range []struct {
		name string
		v    int
		dst  *int
	}{{"epochs", f.epochs, &c.Epochs}, {"per-class", f.perClass, &c.PerClass}, {"batch", f.batch, &c.Batch}} {
		if !set[p.name] {
			continue
		}
		if err := positive(p.name, p.v); err != nil {
			return c, err
		}
		*p.dst = p.v
	}
	if n := c.Classes * c.PerClass; c.Batch > n {
		switch {
		case f.weights:
			c.Batch = n // analyzeWeights checks the batch against the samples it analyses
		case set["batch"]:
			return c, flagErr("batch", c.Batch, fmt.Sprintf("at most N = %d, the training samples (--classes %d x --per-class %d)", n, c.Classes, c.PerClass))
		default:
			return c, usagef("the preset's batch size B = %d exceeds the N = %d training samples (--classes %d x --per-class %d): lower --batch or raise --per-class",
				c.Batch, n, c.Classes, c.PerClass)
		}
	}
	if set["lr"] {
		if err := finiteIn("lr", f.lr, 0, 1e6, false, "a finite learning rate > 0"); err != nil || f.lr == 0 {
			return c, flagErr("lr", f.lr, "a finite learning rate > 0")
		}
		c.LR = f.lr
	}
	if err := finiteIn("label-noise", f.labelNoise, 0, 1, true, "a fraction in [0, 1)"); err != nil {
		return c, err
	}
	if f.labelNoise > 0 && c.Classes < 2 {
		return c, flagErr("label-noise", f.labelNoise, fmt.Sprintf("0 with --classes %d: a wrong label needs at least 2 classes", c.Classes))
	}
	c.LabelNoise = f.labelNoise
	if f.checkpoints != "" {
		c.Checkpoints = nil
		for _, s := range strings.Split(f.checkpoints, ",") {
			e, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || e < 1 || e > c.Epochs {
				return c, flagErr("checkpoints", f.checkpoints, fmt.Sprintf("comma-separated epochs, each 1 to %d (--epochs)", c.Epochs))
			}
			c.Checkpoints = append(c.Checkpoints, e)
		}
	}
	if set["topk"] {
		if f.topK < 0 || (f.topK > 0 && f.topK < c.NPrime) {
			return c, flagErr("topk", f.topK, fmt.Sprintf("0 (dense) or at least the fit window N' = %d of this cell", c.NPrime))
		}
		c.TopK = f.topK
	}
	if set["budget"] {
		if err := finiteIn("budget", f.budgetGiB, 0, 1<<20, false, "a positive, finite number of GiB"); err != nil || f.budgetGiB == 0 {
			return c, flagErr("budget", f.budgetGiB, "a positive, finite number of GiB")
		}
	}
	if err := c.Validate(); err != nil {
		return c, usagef("%v", err)
	}
	return c, nil
}

// options are the experiment options of the flags; call the returned function when done.
func (f *cellFlags) options() (experiment.Options, func()) {
	o, p := progress(f.quiet)
	o.CacheDir, o.DataDir = f.cacheDir, f.dataDir
	if f.budgetGiB > 0 {
		o.Budget = curv.Budget(f.budgetGiB * (1 << 30))
	}
	return o, func() { closeProgress(p) }
}

// presetTable writes the training defaults of every Table 1 cell (C' = 10, seed 0) under the
// fast and the paper preset: what --epochs, --per-class, --batch and --lr default to.
func presetTable(w io.Writer) {
	fmt.Fprintln(w, "Training settings of the presets (C' = 10), the defaults of train's and analyze's --epochs,")
	fmt.Fprintln(w, "--per-class, --batch and --lr (the fast preset unless --paper):")
	fmt.Fprintf(w, "  %-16s %-28s %s\n", "cell", "fast: epochs per-class B lr", "paper: epochs per-class B lr")
	paper := experiment.Grid([]uint64{0}, false, nil, nil, nil)
	for _, p := range paper {
		if p.Classes != 10 {
			continue
		}
		f := experiment.Fast(p)
		fmt.Fprintf(w, "  %-16s %-28s %s\n", p.Dataset+" "+p.Model+" "+p.Loss,
			fmt.Sprintf("%6d %9d %3d %g", f.Epochs, f.PerClass, f.Batch, f.LR),
			fmt.Sprintf("%6d %9d %3d %g", p.Epochs, p.PerClass, p.Batch, p.LR))
	}
	fmt.Fprintln(w, "  fashion-mnist uses the mnist rows; deep-mlp the mnist mlp ce row with 4 hidden layers.")
	fmt.Fprintln(w, "  Every preset trains with plain SGD, a cosine schedule to 0.001, gradient clipping at 5 and")
	fmt.Fprintln(w, "  early stopping once the training accuracy plateaus (the authors' settings).")
}
