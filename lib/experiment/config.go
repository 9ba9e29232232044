package experiment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/noisecurv/noisecurv/lib/nn"
)

// FormatVersion is mixed into every cache key. Bump it whenever a change to the code alters
// any stored number, so that old cache entries are never mixed with new ones.
const FormatVersion = 1

// cnnFloat32Revision is mixed into the keys of float32 CNN configs only: their training
// arithmetic changed when lib/nn began training a CNN's minibatch in chunks (revision 1;
// absent before), while every MLP trains as before, so its keys, and the results cached
// under them, stay valid.
const cnnFloat32Revision = 1

// Config determines one experiment completely: the data subset, the model, the training run
// and the analysis. Two runs with equal configs (and equal dataset bytes) give bit-identical
// results on the same machine, which is what makes the cache sound.
type Config struct {
	// Dataset is "mnist", "fashion-mnist" or "cifar10".
	Dataset string `json:"dataset"`
	// Model is "mlp" (Hidden gives the widths), "deep-mlp" (same, several targets) or "cnn"
	// (Channels gives the conv widths, Hidden[0] the width of the target dense layer).
	Model    string `json:"model"`
	Hidden   []int  `json:"hidden"`
	Channels []int  `json:"channels,omitempty"`
	// Act is the hidden activation, "relu" (the paper) or "tanh" (an extension: the
	// per-sample Hessian then has a residual term and needs the HVP path).
	Act string `json:"act"`
	// Loss is "ce", "mse" (softmax then MSE, the paper's "MSE") or "logit-mse".
	Loss string `json:"loss"`
	// Classes is C' (the first C' labels); PerClass the samples per class.
	Classes  int `json:"classes"`
	PerClass int `json:"per_class"`
	// Training: plain SGD as in the authors' code.
	Batch      int     `json:"batch"`
	Epochs     int     `json:"epochs"`
	LR         float64 `json:"lr"`
	CosineTMax int     `json:"cosine_tmax"`
	EtaMin     float64 `json:"eta_min"`
	ClipNorm   float64 `json:"clip_norm"`
	EarlyStop  bool    `json:"early_stop"`
	// LabelNoise is the fraction of training labels replaced by a uniformly drawn wrong
	// label (an extension; 0 in the paper).
	LabelNoise float64 `json:"label_noise,omitempty"`
	Seed       uint64  `json:"seed"`
	// Targets are the dense layers analysed one at a time (the paper: one layer).
	Targets []string `json:"targets"`
	// NPrime is the v1 fit window: the top-N' eigen-directions of H.
	NPrime int `json:"n_prime"`
	// Checkpoints are extra epochs at which the model is analysed (Fig. 1); the final epoch
	// is always analysed.
	Checkpoints []int `json:"checkpoints,omitempty"`
	// Precision is the arithmetic of training (nn.TrainConfig.Precision): "float32", the
	// paper's and the presets' choice, or "float64" ("" means float64: configs written
	// before the field existed). The analysis is float64 either way, on the trained weights.
	Precision string `json:"precision,omitempty"`
	// TopK > 0 analyses only the top-k eigen-directions of H (Lanczos, no D x D matrix on the
	// factorized route: curv.AnalysisOptions.TopK), for layers too large for the dense
	// eigendecomposition; the commutation metrics and heat maps, which need the dense
	// matrices, are then left out. 0 (the paper) is the dense analysis.
	TopK int `json:"top_k,omitempty"`
}

// Training precisions (Config.Precision).
const (
	Float32 = nn.Float32
	Float64 = nn.Float64
)

// Key is the cache key of the run: a SHA-256 of the canonical JSON of the config and the
// format version. No dataset digest is mixed in because none is needed: lib/data verifies
// every dataset against digests compiled into the binary before use (data.Digest; for
// CIFAR-10 the published MD5 of the archive it is read from), so a dataset name determines its
// bytes, and data that do not verify never reach a run. (TestKeyDatasetsVerified keeps
// this true for every dataset Validate accepts.)
//
// A float64 config hashes without its Precision field ("" and "float64" are the same run),
// so keys of configs from before the field existed are unchanged. A float32 CNN config also
// hashes cnnFloat32Revision.
//
// Key never panics: a config that cannot be encoded (a NaN field) gets a key derived from
// its Go representation, and Validate rejects it before anything is cached.
func (c Config) Key() string {
	if c.Precision == Float64 {
		c.Precision = ""
	}
	rev := 0
	if c.Precision == Float32 && c.Model == "cnn" {
		rev = cnnFloat32Revision
	}
	b, err := json.Marshal(struct {
		V int    `json:"v"`
		C Config `json:"c"`
		R int    `json:"r,omitempty"`
	}{FormatVersion, c, rev})
	if err != nil {
		b = fmt.Appendf(nil, "invalid %d %#v", FormatVersion, c)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])[:20]
}

// Name is a short human-readable label such as "mnist-mlp-ce-c10-s0".
func (c Config) Name() string {
	n := fmt.Sprintf("%s-%s-%s-c%d-s%d", c.Dataset, c.Model, c.Loss, c.Classes, c.Seed)
	if c.Act != "" && c.Act != "relu" {
		n += "-" + c.Act
	}
	return n
}

// Validate reports the first field that cannot work, naming it.
func (c Config) Validate() error {
	switch c.Dataset {
	case "mnist", "fashion-mnist", "cifar10":
	default:
		return fmt.Errorf("experiment: config field dataset = %q: want mnist, fashion-mnist or cifar10", c.Dataset)
	}
	switch c.Model {
	case "mlp", "deep-mlp", "cnn":
	default:
		return fmt.Errorf("experiment: config field model = %q: want mlp, deep-mlp or cnn", c.Model)
	}
	switch c.Loss {
	case "ce", "mse", "logit-mse":
	default:
		return fmt.Errorf("experiment: config field loss = %q: want ce, mse or logit-mse", c.Loss)
	}
	switch c.Act {
	case "relu", "tanh":
	default:
		return fmt.Errorf("experiment: config field act = %q: want relu or tanh", c.Act)
	}
	if len(c.Hidden) == 0 {
		return fmt.Errorf("experiment: config field hidden is empty: want the hidden widths")
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"classes", c.Classes}, {"per_class", c.PerClass}, {"batch", c.Batch}, {"epochs", c.Epochs}, {"n_prime", c.NPrime}} {
		if f.v <= 0 {
			return fmt.Errorf("experiment: config field %s = %d: want a positive number", f.name, f.v)
		}
	}
	if c.Classes > 10 {
		return fmt.Errorf("experiment: config field classes = %d: the datasets have 10 labels", c.Classes)
	}
	if n := c.Classes * c.PerClass; c.Batch > n {
		return fmt.Errorf("experiment: config field batch = %d exceeds the N = %d training samples (classes %d x per_class %d): want 1..%d",
			c.Batch, n, c.Classes, c.PerClass, n)
	}
	switch c.Precision {
	case "", Float32, Float64:
	default:
		return fmt.Errorf("experiment: config field precision = %q: want float32 or float64", c.Precision)
	}
	if !(c.LR > 0) || math.IsInf(c.LR, 0) {
		return fmt.Errorf("experiment: config field lr = %v: want a finite positive learning rate", c.LR)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"eta_min", c.EtaMin}, {"clip_norm", c.ClipNorm}} {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return fmt.Errorf("experiment: config field %s = %v: want a finite number >= 0", f.name, f.v)
		}
	}
	if c.CosineTMax < 0 {
		return fmt.Errorf("experiment: config field cosine_tmax = %d: want >= 0 (0: constant learning rate)", c.CosineTMax)
	}
	if !(c.LabelNoise >= 0 && c.LabelNoise < 1) {
		return fmt.Errorf("experiment: config field label_noise = %v: want a fraction in [0, 1)", c.LabelNoise)
	}
	if c.LabelNoise > 0 && c.Classes < 2 {
		return fmt.Errorf("experiment: config field label_noise = %v with classes = %d: a wrong label needs at least 2 classes", c.LabelNoise, c.Classes)
	}
	if c.TopK < 0 {
		return fmt.Errorf("experiment: config field top_k = %d: want 0 (dense analysis) or a positive number of directions", c.TopK)
	}
	if c.TopK > 0 && c.TopK < c.NPrime {
		return fmt.Errorf("experiment: config field top_k = %d is below n_prime = %d: the v1 fit window needs the top n_prime directions", c.TopK, c.NPrime)
	}
	if len(c.Targets) == 0 {
		return fmt.Errorf("experiment: config field targets is empty: want at least one dense layer name")
	}
	for _, e := range c.Checkpoints {
		if e <= 0 || e > c.Epochs {
			return fmt.Errorf("experiment: config field checkpoints has epoch %d: want 1..%d", e, c.Epochs)
		}
	}
	return nil
}

// Cell is one row of the paper's Table 1 (docs/science.md), before choosing the class count.
type cell struct {
	dataset, model, loss string
	perClass             int
	perClassC3           int // CIFAR CNN CE uses 5000 per class for C' = 3
	batch, epochs        int
	nPrime               [3]int // for C' = 3, 6, 10
}

// table1 is the paper's experimental grid (docs/science.md, Table 1).
var table1 = []cell{
	{"mnist", "mlp", "ce", 2000, 0, 50, 100, [3]int{300, 1000, 1000}},
	{"mnist", "mlp", "mse", 2000, 0, 50, 100, [3]int{300, 1000, 1000}},
	{"mnist", "cnn", "ce", 2000, 0, 50, 100, [3]int{200, 500, 1000}},
	{"mnist", "cnn", "mse", 5000, 0, 128, 100, [3]int{200, 300, 800}},
	{"cifar10", "mlp", "ce", 2000, 0, 100, 150, [3]int{800, 1500, 1500}},
	{"cifar10", "mlp", "mse", 5000, 0, 100, 100, [3]int{500, 1000, 1000}},
	{"cifar10", "cnn", "ce", 2000, 5000, 128, 100, [3]int{500, 1000, 1500}},
	{"cifar10", "cnn", "mse", 5000, 0, 128, 500, [3]int{500, 500, 1000}},
}

var classCounts = [3]int{3, 6, 10}

// Paper returns the paper's setting for one grid cell, trained in float32 as the paper's
// models were (set Precision to Float64 for float64 training). dataset "fashion-mnist" uses
// the MNIST rows (an extension: the paper has no Fashion-MNIST runs).
func Paper(dataset, model, loss string, classes int, seed uint64) (Config, error) {
	row := dataset
	if row == "fashion-mnist" {
		row = "mnist"
	}
	ci := -1
	for i, k := range classCounts {
		if k == classes {
			ci = i
		}
	}
	if ci < 0 {
		return Config{}, fmt.Errorf("experiment: classes = %d is not in the paper's grid: want 3, 6 or 10", classes)
	}
	for _, r := range table1 {
		if r.dataset != row || r.model != model || r.loss != loss {
			continue
		}
		c := Config{
			Dataset: dataset, Model: model, Act: "relu", Loss: loss,
			Classes: classes, PerClass: r.perClass, Batch: r.batch, Epochs: r.epochs,
			LR: 0.1, CosineTMax: 500, EtaMin: 0.001, ClipNorm: 5, EarlyStop: true,
			Seed: seed, NPrime: r.nPrime[ci], Precision: Float32,
		}
		if classes == 3 && r.perClassC3 > 0 {
			c.PerClass = r.perClassC3
		}
		switch {
		case model == "cnn":
			c.Channels = []int{32, 64, 128, 128}
			c.Hidden = []int{20}
			c.Targets = []string{"fc1"}
		case dataset == "cifar10":
			c.Hidden = []int{1000, 50, 50}
			c.Targets = []string{"fc3"}
		default:
			c.Hidden = []int{50, 50}
			c.Targets = []string{"fc2"}
		}
		return c, nil
	}
	return Config{}, fmt.Errorf("experiment: no grid cell for dataset %q, model %q, loss %q", dataset, model, loss)
}

// LayerWise is v2's layer-wise setting: MNIST MLP 784-50-50-50-50-10, CE, one gamma per
// layer after the first: the three hidden-to-hidden matrices and the 50x10 output matrix
// (fc5), as in the authors' plot.
func LayerWise(seed uint64) Config {
	c, _ := Paper("mnist", "mlp", "ce", 10, seed)
	c.Model = "deep-mlp"
	c.Hidden = []int{50, 50, 50, 50}
	c.Targets = []string{"fc2", "fc3", "fc4", "fc5"}
	return c
}

// Fast shrinks a paper config so that it runs in seconds to a minute on two cores with the
// pure-Go backend, keeping the code path: fewer samples and epochs, narrower layers (so the
// dense eigendecomposition is of order 1000 instead of 2500) and a proportionally smaller fit
// window. Numbers from fast runs show the qualitative picture; the paper's table needs Paper.
func Fast(c Config) Config {
	f := c
	f.Hidden = append([]int(nil), c.Hidden...)
	f.Channels = append([]int(nil), c.Channels...)
	f.Targets = append([]string(nil), c.Targets...)
	f.Checkpoints = append([]int(nil), c.Checkpoints...)
	d0 := targetDim(c)
	for i, h := range f.Hidden {
		switch {
		case c.Model == "cnn":
			f.Hidden[i] = h // the 20-wide head stays
		case h > 50:
			f.Hidden[i] = 128 // the CIFAR MLP's 1000-wide first layer
		default:
			f.Hidden[i] = 32
		}
	}
	for i, ch := range f.Channels {
		f.Channels[i] = ch / 4
	}
	f.PerClass = min(c.PerClass, 300)
	f.Epochs = min(c.Epochs, 30)
	if c.Loss == "mse" {
		// Softmax+MSE learns slowly: after 30 fast epochs it is still near chance (17% train
		// accuracy on MNIST, 10 classes); it passes the paper's 95% target at about 230.
		f.Epochs = 250
	}
	f.Batch = min(c.Batch, 50)
	f.CosineTMax = c.CosineTMax
	d1 := targetDim(f)
	f.NPrime = max(20, c.NPrime*d1/max(d0, 1))
	var cps []int
	for _, e := range f.Checkpoints {
		if e < f.Epochs {
			cps = append(cps, e)
		}
	}
	f.Checkpoints = cps
	return f
}

// targetDim is D for the first target layer.
func targetDim(c Config) int {
	switch c.Model {
	case "cnn":
		if len(c.Channels) == 0 || len(c.Hidden) == 0 {
			return 0
		}
		return c.Channels[len(c.Channels)-1] * c.Hidden[0]
	default:
		if len(c.Hidden) < 2 {
			return 0
		}
		return c.Hidden[len(c.Hidden)-1] * c.Hidden[len(c.Hidden)-2]
	}
}

// Grid lists every cell of the paper's Table 1 for the given seeds, in a fixed order, as
// paper configs (fast ones when fast is true). Filters restrict datasets, models and losses
// (empty means all).
func Grid(seeds []uint64, fast bool, datasets, models, losses []string) []Config {
	keep := func(list []string, v string) bool {
		if len(list) == 0 {
			return true
		}
		for _, s := range list {
			if strings.EqualFold(s, v) {
				return true
			}
		}
		return false
	}
	var out []Config
	for _, r := range table1 {
		if !keep(datasets, r.dataset) || !keep(models, r.model) || !keep(losses, r.loss) {
			continue
		}
		for _, k := range classCounts {
			for _, s := range seeds {
				c, err := Paper(r.dataset, r.model, r.loss, k, s)
				if err != nil {
					panic(err) // table1 is consistent by construction
				}
				if fast {
					c = Fast(c)
				}
				out = append(out, c)
			}
		}
	}
	return out
}

// Shard returns the configs of shard i of n (0-based i), dealing cells round-robin so that
// each shard gets a mix of cheap and expensive cells. Every config lands in exactly one shard.
func Shard(cs []Config, i, n int) ([]Config, error) {
	if n <= 0 || i < 0 || i >= n {
		return nil, fmt.Errorf("experiment: shard %d/%d: want 0 <= i < n", i, n)
	}
	keys := make([]string, len(cs))
	for j, c := range cs {
		keys[j] = c.Key()
	}
	idx := make([]int, len(cs))
	for j := range idx {
		idx[j] = j
	}
	// Sort by key so that the assignment does not depend on the order of the list.
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	var out []Config
	for r, j := range idx {
		if r%n == i {
			out = append(out, cs[j])
		}
	}
	return out, nil
}
