package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/noisecurv/noisecurv/lib/experiment"
)

// cellFlags are the flags that pick one experiment: a grid cell, a seed and the preset.
type cellFlags struct {
	dataset, model, loss, act string
	classes                   int
	seed                      uint64
	paper                     bool
	epochs, perClass, batch   int
	labelNoise                float64
	checkpoints               string
	cacheDir, dataDir         string
	quiet                     bool
	precision                 string
}

func (f *cellFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dataset, "dataset", "mnist", "mnist, fashion-mnist or cifar10")
	fs.StringVar(&f.model, "model", "mlp", "mlp, cnn or deep-mlp (v2 layer-wise)")
	fs.StringVar(&f.loss, "loss", "ce", "ce, mse (softmax+MSE, the paper's) or logit-mse")
	fs.StringVar(&f.act, "act", "relu", "hidden activation: relu (the paper) or tanh")
	fs.IntVar(&f.classes, "classes", 10, "number of classes C' (3, 6 or 10)")
	fs.Uint64Var(&f.seed, "seed", 0, "seed of the data subset, initialization and shuffles")
	fs.BoolVar(&f.paper, "paper", false, "use the paper's settings (default: the fast preset)")
	fs.IntVar(&f.epochs, "epochs", 0, "override the number of epochs")
	fs.IntVar(&f.perClass, "per-class", 0, "override the samples per class")
	fs.IntVar(&f.batch, "batch", 0, "override the batch size B")
	fs.Float64Var(&f.labelNoise, "label-noise", 0, "fraction of labels replaced by wrong ones")
	fs.StringVar(&f.checkpoints, "checkpoints", "", "comma-separated epochs to analyse besides the last")
	fs.StringVar(&f.cacheDir, "cache", "", "cache folder (default results/cache in the repository)")
	fs.StringVar(&f.dataDir, "data", "", "dataset folder searched first (default ./data, $NOISECURV_DATA)")
	fs.BoolVar(&f.quiet, "q", false, "no progress lines")
	fs.StringVar(&f.precision, "precision", experiment.Float32, "training arithmetic: float32 (the paper's) or float64")
}

func (f *cellFlags) config() (experiment.Config, error) {
	var c experiment.Config
	var err error
	if f.model == "deep-mlp" {
		c = experiment.LayerWise(f.seed)
		c.Dataset = f.dataset
		c.Loss = f.loss
		c.Classes = f.classes
	} else {
		c, err = experiment.Paper(f.dataset, f.model, f.loss, f.classes, f.seed)
		if err != nil {
			return c, err
		}
	}
	if f.checkpoints != "" {
		for _, s := range strings.Split(f.checkpoints, ",") {
			e, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return c, fmt.Errorf("flag -checkpoints: %q is not an epoch number", s)
			}
			c.Checkpoints = append(c.Checkpoints, e)
		}
	}
	if !f.paper {
		c = experiment.Fast(c)
	}
	c.Act = f.act
	if f.epochs > 0 {
		c.Epochs = f.epochs
	}
	if f.perClass > 0 {
		c.PerClass = f.perClass
	}
	if f.batch > 0 {
		c.Batch = f.batch
	}
	c.LabelNoise = f.labelNoise
	if err := checkPrecision(f.precision); err != nil {
		return c, err
	}
	c.Precision = f.precision
	return c, c.Validate()
}

func (f *cellFlags) options() experiment.Options {
	o := experiment.Options{CacheDir: f.cacheDir, DataDir: f.dataDir}
	if !f.quiet {
		o.Log = os.Stderr
	}
	return o
}

// checkPrecision validates the --precision flag.
func checkPrecision(p string) error {
	if p != experiment.Float32 && p != experiment.Float64 {
		return fmt.Errorf("flag -precision %q: want float32 or float64", p)
	}
	return nil
}
