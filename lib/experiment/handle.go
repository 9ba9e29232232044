package experiment

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/data"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// Handle owns one trained run: its config, its training subset, the model after every
// analysed epoch, the loss, and the cached Result of Run. It builds the curv.Problem of any
// target layer or block at any analysed epoch, and caches anything derived from the run
// (Derived) next to the run's own entries.
//
// Everything is loaded lazily and at most once: Open only validates the config, the data
// subset is read on the first call that needs it, the model is trained (or loaded from the
// cache) on the first call that needs a model, so a Derived value found in the cache costs
// neither. A Handle is safe for concurrent use.
type Handle struct {
	Config  Config
	Options Options

	mu      sync.Mutex
	loss    nn.Loss
	set     *data.Set
	trained *Trained
	result  *Result
}

// Open returns the handle of the run of c under o (nothing is loaded yet).
func Open(c Config, o Options) (*Handle, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	loss, err := c.LossFunc()
	if err != nil {
		return nil, err
	}
	return &Handle{Config: c, Options: o, loss: loss}, nil
}

// Name is the run's label (Config.Name).
func (h *Handle) Name() string { return h.Config.Name() }

// Loss is the run's loss function.
func (h *Handle) Loss() nn.Loss { return h.loss }

// Data returns the run's training subset (Data of the config), loading it on first use.
func (h *Handle) Data() (*data.Set, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dataLocked()
}

func (h *Handle) dataLocked() (*data.Set, error) {
	if h.set == nil {
		s, err := Data(h.Config, h.Options)
		if err != nil {
			return nil, err
		}
		h.set = s
	}
	return h.set, nil
}

// Trained returns the trained run (Train: from the cache, or trained now).
func (h *Handle) Trained(ctx context.Context) (*Trained, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.trained == nil {
		set, err := h.dataLocked()
		if err != nil {
			return nil, err
		}
		t, err := Train(ctx, h.Config, set, h.Options)
		if err != nil {
			return nil, err
		}
		h.trained = t
	}
	return h.trained, nil
}

// Result returns the run's analysis (Run: from the cache, or computed now). A Result
// computed here reuses the handle's trained model.
func (h *Handle) Result(ctx context.Context) (*Result, error) {
	h.mu.Lock()
	r := h.result
	h.mu.Unlock()
	if r != nil {
		return r, nil
	}
	if !h.Options.Recompute {
		if c, ok := cachedResult(h.Config, h.Options, false); ok {
			h.Options.emit(Event{Run: h.Name(), Stage: "analyze", Done: 1, Total: 1, Message: "cached"})
			r = c
		}
	}
	if r == nil {
		if h.Options.CacheOnly {
			return nil, notCached(h.Config, "result")
		}
		var err error
		if r, err = h.run(ctx); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	h.result = r
	h.mu.Unlock()
	return r, nil
}

// Final returns the final snapshot's analysis of target ("" = the first target).
func (h *Handle) Final(ctx context.Context, target string) (*Layer, error) {
	r, err := h.Result(ctx)
	if err != nil {
		return nil, err
	}
	return r.Final(target)
}

// Epochs returns the analysed epochs in order; the last is the end of training.
func (h *Handle) Epochs(ctx context.Context) ([]int, error) {
	t, err := h.Trained(ctx)
	if err != nil {
		return nil, err
	}
	return t.Epochs(), nil
}

// FinalEpoch is the epoch argument that selects the end of training in Model and Problem.
const FinalEpoch = -1

// Model returns the model after the given analysed epoch; FinalEpoch (or the last epoch of
// training) gives the final model. An epoch without a snapshot is an error naming the
// snapshots there are.
func (h *Handle) Model(ctx context.Context, epoch int) (*nn.Model, error) {
	t, err := h.Trained(ctx)
	if err != nil {
		return nil, err
	}
	if epoch == FinalEpoch || epoch == len(t.History.Epochs) {
		return t.Model, nil
	}
	if m, ok := t.Snapshots[epoch]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("experiment: %s has no model after epoch %d: analysed epochs are %v", h.Name(), epoch, t.Epochs())
}

// Problem returns the curvature problem of the block made of the given layers (default: the
// config's first target) at the given epoch, on the run's training subset.
func (h *Handle) Problem(ctx context.Context, epoch int, layers ...string) (*curv.Problem, error) {
	set, err := h.Data()
	if err != nil {
		return nil, err
	}
	return h.ProblemOn(ctx, set, epoch, layers...)
}

// ProblemOn is Problem on another sample set (a subset of the training data, say).
func (h *Handle) ProblemOn(ctx context.Context, set *data.Set, epoch int, layers ...string) (*curv.Problem, error) {
	m, err := h.Model(ctx, epoch)
	if err != nil {
		return nil, err
	}
	if len(layers) == 0 {
		layers = h.Config.Targets[:1]
	}
	return &curv.Problem{Model: m, Loss: h.loss, X: set.X, Labels: set.Labels, Block: nn.Block{Layers: layers}, Budget: h.Options.Budget}, nil
}

// Analyze runs curv.Analyze on target (default: the first target) at the given epoch. Zero
// Batch and Seed in opts take the config's.
func (h *Handle) Analyze(ctx context.Context, epoch int, target string, opts curv.AnalysisOptions) (*curv.Analysis, error) {
	var layers []string
	if target != "" {
		layers = []string{target}
	}
	p, err := h.Problem(ctx, epoch, layers...)
	if err != nil {
		return nil, err
	}
	if opts.Batch == 0 {
		opts.Batch = h.Config.Batch
	}
	if opts.Seed == 0 {
		opts.Seed = h.Config.Seed
	}
	return curv.AnalyzeContext(ctx, p, opts)
}

// Commutation recomputes the claim-C3 metrics of C and E_p[h_p²] against H for target ("" =
// the first) at the given epoch with draws Haar draws (commute.Compute) and at least
// NullDraws draws of the diagonal-preserving null (commute.DiagonalNull), cached with Derived:
// the stored Result keeps RandomDraws Haar draws only. Cost: one dense analysis plus draws
// times a D×D QR and two D³ products per matrix.
func (h *Handle) Commutation(ctx context.Context, epoch int, target string, draws int) (map[string]CommuteSummary, error) {
	if draws < 2 {
		return nil, fmt.Errorf("experiment: Commutation: draws = %d, want at least 2 (a standard deviation)", draws)
	}
	if epoch == FinalEpoch {
		t, err := h.Trained(ctx)
		if err != nil {
			return nil, err
		}
		epoch = len(t.History.Epochs)
	}
	if target == "" {
		target = h.Config.Targets[0]
	}
	tag := fmt.Sprintf("commute-%s-e%d-d%d-n%d-%s", target, epoch, draws, max(NullDraws, draws), NullKind)
	v, err := Derived(h, tag, func() (*map[string]CommuteSummary, error) {
		a, err := h.Analyze(ctx, epoch, target, curv.AnalysisOptions{KeepDense: true, KeepVectors: true})
		if err != nil {
			return nil, err
		}
		m, _, err := commuteSummaries(ctx, a, draws, h.Config.Seed)
		return &m, err
	})
	if err != nil {
		return nil, err
	}
	return *v, nil
}

// Subset returns a balanced subset of perClass samples per class of the training subset,
// drawn with seed (data.Set.Subset).
func (h *Handle) Subset(perClass int, seed uint64) (*data.Set, error) {
	set, err := h.Data()
	if err != nil {
		return nil, err
	}
	return set.Subset(h.Config.Classes, perClass, seed)
}

// Emit reports progress of an analysis of this run through Options.Progress and Options.Log.
func (h *Handle) Emit(stage string, done, total int, msg string) {
	h.Options.emit(Event{Run: h.Name(), Stage: stage, Done: done, Total: total, Message: msg})
}

// DerivedKey is the cache key of a value derived from the run: the run's key and tag.
func (h *Handle) DerivedKey(tag string) string { return h.Config.Key() + "-" + tag }

// derivedFile is the one file of a Derived cache entry.
const derivedFile = "value.gob"

// Derived returns the value tagged tag derived from run h: from the cache when an entry
// exists (and Options.Recompute is off), otherwise from compute, whose result is stored
// (gob, written atomically by Cache.Put) under h.DerivedKey(tag). tag must determine the
// value given the run: include every parameter of the computation and a version that is
// bumped when the computation changes, e.g. "joint-fc2+fc3-n100-k100-v1". A corrupt or
// undecodable entry is recomputed. Entries written before this function existed, holding a
// single gob file of another name, are read too.
func Derived[T any](h *Handle, tag string, compute func() (*T, error)) (*T, error) {
	if tag == "" || strings.ContainsAny(tag, `/\`) {
		return nil, fmt.Errorf("experiment: Derived: tag %q: want a non-empty name without slashes", tag)
	}
	key := h.DerivedKey(tag)
	ch := h.Options.cache()
	if !h.Options.Recompute {
		files, ok, err := ch.Get(key)
		if err != nil && h.Options.Log != nil {
			fmt.Fprintf(h.Options.Log, "[%s] %v; recomputing %s\n", h.Name(), err, tag)
		}
		if ok {
			if v, err := decodeDerived[T](files); err == nil {
				return v, nil
			} else if h.Options.Log != nil {
				fmt.Fprintf(h.Options.Log, "[%s] cached %s does not decode (%v); recomputing\n", h.Name(), tag, err)
			}
		}
	}
	if h.Options.CacheOnly {
		return nil, notCached(h.Config, tag)
	}
	v, err := compute()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return nil, fmt.Errorf("experiment: encoding %s of %s: %w", tag, h.Name(), err)
	}
	if err := store(h.Options, key, map[string][]byte{derivedFile: b.Bytes()}); err != nil {
		return nil, err
	}
	return v, nil
}

// store writes entry key, replacing an existing one (Cache.Put does). A failure is the
// caller's to report; the computed value is still good.
func store(o Options, key string, files map[string][]byte) error {
	return o.cache().Put(key, files)
}

func decodeDerived[T any](files map[string][]byte) (*T, error) {
	b, ok := files[derivedFile]
	if !ok {
		if len(files) != 1 {
			names := make([]string, 0, len(files))
			for n := range files {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("entry holds %v, want %s", names, derivedFile)
		}
		for _, v := range files {
			b = v
		}
	}
	var v T
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&v); err != nil {
		return nil, err
	}
	return &v, nil
}

// FinalState is a run at the end of training: its result, the analysis of its first target
// layer, that layer's curvature problem on the training subset and its Kronecker factors.
type FinalState struct {
	Result  *Result
	Layer   *Layer
	Problem *curv.Problem
	Factors *curv.Factors
}

// FinalState runs (or loads from the cache) the run and builds the curvature problem of its
// first target layer at the end of training, with the problem's factors.
func (h *Handle) FinalState(ctx context.Context) (*FinalState, error) {
	r, err := h.Result(ctx)
	if err != nil {
		return nil, err
	}
	l, err := r.Final("")
	if err != nil {
		return nil, err
	}
	p, err := h.Problem(ctx, FinalEpoch, l.Target)
	if err != nil {
		return nil, err
	}
	f, err := p.Factors()
	if err != nil {
		return nil, fmt.Errorf("experiment: %s: factors of %s: %w", h.Name(), l.Target, err)
	}
	return &FinalState{Result: r, Layer: l, Problem: p, Factors: f}, nil
}
