package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/data"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// Options control where results go and how progress is reported. The zero value caches
// under results/cache in the working folder (or the repository root above it) and is silent.
type Options struct {
	// CacheDir holds finished runs; default: results/cache under the repository root.
	CacheDir string
	// DataDir is searched first for datasets (see lib/data).
	DataDir string
	// Log receives free-text messages (downloads, cache repairs) and, when Progress is nil,
	// one plain line per progress event.
	Log io.Writer
	// Progress, when set, receives the progress events in structured form: a Printer
	// (terminals and logs) or a notebook bar.
	Progress func(Event)
	// Recompute ignores cached entries (they are overwritten).
	Recompute bool
	// CacheOnly computes nothing: Train and Run return an error wrapping ErrNotCached when
	// the cache lacks the entry (for reports over what has been computed).
	CacheOnly bool
	// Budget limits the memory of each dense curvature computation (curv.Problem.Budget:
	// 0 is curv.DefaultBudget, negative is unlimited). It does not change results.
	Budget curv.Budget

	// snapshot places AnalyzeLayer's progress within Run: the analysed epoch and its position
	// among the run's snapshots (zero outside Run).
	snapshot struct{ epoch, done, total int }
}

// Event is one progress report: Stage is "train", "analyze", ...; Done of Total units.
type Event struct {
	Run, Stage  string
	Done, Total int
	Message     string
}

// logf writes one line for run to o.Log, if set.
func (o Options) logf(run, format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, "[%s] %s\n", run, fmt.Sprintf(format, args...))
	}
}

func (o Options) cache() Cache {
	if o.CacheDir != "" {
		return Cache{Dir: o.CacheDir}
	}
	return Cache{Dir: filepath.Join(RepoRoot(), "results", "cache")}
}

// RepoRoot returns the nearest folder at or above the working folder that holds this
// module's go.mod (so notebooks in notebooks/ share the repository's cache), or the working
// folder itself.
func RepoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := wd; ; {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/noisecurv/noisecurv\n")) {
			return d
		}
		p := filepath.Dir(d)
		if p == d {
			return wd
		}
		d = p
	}
}

// Data loads the training subset of c: the first c.Classes labels, c.PerClass samples each
// from a shuffle seeded by c.Seed, normalized as in the paper; with LabelNoise > 0 a seeded
// fraction of labels is replaced by a uniformly drawn wrong label.
func Data(c Config, o Options) (*data.Set, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	full, err := data.Load(c.Dataset, true, data.Options{Dir: o.DataDir, Progress: o.Log})
	if err != nil {
		return nil, err
	}
	s, err := full.Subset(c.Classes, c.PerClass, c.Seed)
	if err != nil {
		return nil, err
	}
	if c.LabelNoise > 0 {
		r := rand.New(rand.NewPCG(c.Seed, 0x6c6162656c6e6f69))
		for i := range s.Labels {
			if r.Float64() < c.LabelNoise {
				s.Labels[i] = (s.Labels[i] + 1 + r.IntN(c.Classes-1)) % c.Classes
			}
		}
	}
	return s, nil
}

// ModelSpec is the architecture of c for inputs of the given shape.
func ModelSpec(c Config, in nn.Shape) nn.Spec {
	switch c.Model {
	case "cnn":
		return cnnSpec(in, c.Channels, c.Hidden[0])
	default:
		return nn.MLP(in.Size(), c.Hidden, 10, c.Act)
	}
}

// cnnSpec is the paper's VGG-style CNN with configurable widths: conv 3x3 pad 1
// [c0, M, c1, M, c2, c3, M], global average pool, dense c3-hidden (fc1, the target), ReLU,
// dense hidden-10 (fc2).
func cnnSpec(in nn.Shape, ch []int, hidden int) nn.Spec {
	s := nn.Spec{In: in}
	conv := 0
	add := func(l nn.LayerSpec) { s.Layers = append(s.Layers, l) }
	pool := 0
	for i, c := range ch {
		conv++
		add(nn.LayerSpec{Kind: "conv2d", Name: fmt.Sprintf("conv%d", conv), Out: c, Bias: true})
		add(nn.LayerSpec{Kind: "relu", Name: fmt.Sprintf("relu%d", conv)})
		if i == 0 || i == 1 || i == len(ch)-1 {
			pool++
			add(nn.LayerSpec{Kind: "maxpool2", Name: fmt.Sprintf("pool%d", pool)})
		}
	}
	add(nn.LayerSpec{Kind: "avgpool", Name: "gap"})
	add(nn.LayerSpec{Kind: "dense", Name: "fc1", Out: hidden})
	add(nn.LayerSpec{Kind: "relu", Name: fmt.Sprintf("relu%d", conv+1)})
	add(nn.LayerSpec{Kind: "dense", Name: "fc2", Out: 10})
	return s
}

// Trained is a trained model with its history and the snapshots taken at c.Checkpoints.
type Trained struct {
	Config    Config
	Model     *nn.Model
	Snapshots map[int]*nn.Model // epoch -> weights after that epoch
	History   nn.History
	Seconds   float64
}

// Epochs returns the epochs to analyse, in order: the snapshot epochs before the end of
// training (a run stopped early has none after it), then the final epoch, whose model is
// t.Model.
func (t *Trained) Epochs() []int {
	final := len(t.History.Epochs)
	epochs := make([]int, 0, len(t.Snapshots)+1)
	for e := range t.Snapshots {
		if e < final {
			epochs = append(epochs, e)
		}
	}
	sort.Ints(epochs)
	return append(epochs, final)
}

// Train trains the model of c on its data subset, or loads it from the cache. The run stops
// with an error naming the step if the loss or a gradient becomes NaN or infinite.
func Train(ctx context.Context, c Config, set *data.Set, o Options) (*Trained, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	key := c.Key() + "-train"
	ch := o.cache()
	if !o.Recompute {
		files, ok, err := ch.Get(key)
		if err != nil {
			o.logf(c.Name(), "%v; retraining", err)
		}
		if ok {
			t, err := decodeTrained(c, files)
			if err == nil {
				o.emit(Event{Run: c.Name(), Stage: "train", Done: len(t.History.Epochs), Total: c.Epochs, Message: "cached"})
				return t, nil
			}
			// Retrained below; Put then replaces the entry, so this happens once.
			o.logf(c.Name(), "%v; retraining", err)
		}
	}
	if o.CacheOnly {
		return nil, notCached(c, "trained model")
	}
	in := nn.Shape{C: set.Channels, H: set.Height, W: set.Width}
	if c.Model != "cnn" {
		in = nn.Shape{C: set.Channels * set.Height * set.Width, H: 1, W: 1}
	}
	m, err := nn.Build(ModelSpec(c, in), c.Seed)
	if err != nil {
		return nil, fmt.Errorf("experiment: %s: %w", c.Name(), err)
	}
	loss, err := c.LossFunc()
	if err != nil {
		return nil, err
	}
	t := &Trained{Config: c, Model: m, Snapshots: map[int]*nn.Model{}}
	cfg := nn.TrainConfig{
		LR: c.LR, EtaMin: c.EtaMin, Batch: c.Batch, Epochs: c.Epochs, CosineTMax: c.CosineTMax,
		ClipNorm: c.ClipNorm, EarlyStop: c.EarlyStop, Seed: c.Seed, Checkpoints: c.Checkpoints,
		Precision: c.Precision,
	}
	start := time.Now()
	hist, err := nn.Train(ctx, m, loss, set.X, set.Labels, cfg,
		func(s nn.EpochStats) {
			o.emit(Event{Run: c.Name(), Stage: "train", Done: s.Epoch, Total: c.Epochs,
				Message: fmt.Sprintf("loss %.3g acc %.4f lr %.3g", s.Loss, s.Acc, s.LR)})
		},
		func(epoch int, m *nn.Model) error {
			t.Snapshots[epoch] = m.Clone()
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("experiment: training %s: %w", c.Name(), err)
	}
	t.History = hist
	t.Seconds = time.Since(start).Seconds()
	files, err := encodeTrained(t)
	if err != nil {
		return nil, err
	}
	if err := store(o, key, files); err != nil {
		// The run is good; only caching it failed. Say so and return it.
		o.logf(c.Name(), "training run not cached: %v", err)
	}
	return t, nil
}

func encodeTrained(t *Trained) (map[string][]byte, error) {
	files := map[string][]byte{}
	put := func(name string, m *nn.Model) error {
		var b bytes.Buffer
		if err := nn.Save(&b, m); err != nil {
			return fmt.Errorf("experiment: saving %s: %w", name, err)
		}
		files[name] = b.Bytes()
		return nil
	}
	if err := put("model.bin", t.Model); err != nil {
		return nil, err
	}
	for e, m := range t.Snapshots {
		if err := put(fmt.Sprintf("model-e%04d.bin", e), m); err != nil {
			return nil, err
		}
	}
	h, err := json.Marshal(struct {
		Config  Config     `json:"config"`
		History nn.History `json:"history"`
		Seconds float64    `json:"seconds"`
	}{t.Config, t.History, t.Seconds})
	if err != nil {
		return nil, err
	}
	files["history.json"] = h
	return files, nil
}

// decodeTrained decodes a cached training run of c. The config stored in history.json must
// have c's key; every failure wraps ErrCorrupt.
func decodeTrained(c Config, files map[string][]byte) (*Trained, error) {
	t, err := decodeTrainedFiles(c, files)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return t, err
}

func decodeTrainedFiles(c Config, files map[string][]byte) (*Trained, error) {
	var h struct {
		Config  Config     `json:"config"`
		History nn.History `json:"history"`
		Seconds float64    `json:"seconds"`
	}
	if err := json.Unmarshal(files["history.json"], &h); err != nil {
		return nil, fmt.Errorf("experiment: cached history: %w", err)
	}
	if h.Config.Key() != c.Key() {
		return nil, fmt.Errorf("experiment: cached training run is for config %s (key %s), want key %s: %w", h.Config.Name(), h.Config.Key(), c.Key(), ErrCorrupt)
	}
	t := &Trained{Config: c, History: h.History, Seconds: h.Seconds, Snapshots: map[int]*nn.Model{}}
	mb, ok := files["model.bin"]
	if !ok {
		return nil, errors.New("experiment: cached run has no model.bin")
	}
	m, err := nn.Load(bytes.NewReader(mb))
	if err != nil {
		return nil, err
	}
	t.Model = m
	for _, e := range c.Checkpoints {
		b, ok := files[fmt.Sprintf("model-e%04d.bin", e)]
		if !ok {
			continue // early stop came first
		}
		s, err := nn.Load(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		t.Snapshots[e] = s
	}
	return t, nil
}
