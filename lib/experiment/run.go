package experiment

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/commute"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/data"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/linalg"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// Result is everything one experiment measured: training history, and for every analysed
// epoch and target layer the diagonals in H's eigenbasis, the fits, the commutation metrics
// and the bound checks. It is what the notebooks plot and the report tabulates.
type Result struct {
	Config    Config
	Key       string
	Backend   string
	History   nn.History
	TrainSecs float64
	N         int
	Snapshots []Snapshot // ascending epochs; the last is the end of training
}

// Snapshot is the analysis of the model after one epoch.
type Snapshot struct {
	Epoch  int
	Layers []Layer
}

// Layer is the analysis of one target layer at one epoch.
type Layer struct {
	Target string
	D      int
	Route  string
	// Eigenvalues of H (descending) and the diagonals v_i^T A v_i in the same order.
	Eigenvalues               []float64
	H, C, Covar, Eh2, F, EF   []float64
	KappaMax, MeanLoss, GNorm float64
	// Coord holds the same matrices' diagonals in the parameter (coordinate) basis, keyed
	// "H", "C", "Covar", "Eh2", "F", "EF"; entry j*Din+k is weight W_jk.
	Coord map[string][]float64
	// Fits of log10 A_ii on log10 H_ii: keys "C/v1", "C/v2", "Covar/v1", "Covar/v2",
	// "Eh2/v1", "Eh2/v2" (gamma_emp uses C or Covar, gamma_AWD uses Eh2), "F/v1", "EF/v1".
	Fits map[string]fit.Result
	// FitErrors records fits that could not be made (too few positive points, ...).
	FitErrors map[string]string
	// Commute holds the claim-C3 metrics of C (key "C") and E_p[h_p^2] (key "Eh2") against H.
	Commute map[string]CommuteSummary
	// Heat is symlog(V^T C V) on the top modes (the Fig. 1 heat map), and HeatRandom the
	// same for one spectrum-preserving random draw; final epoch only.
	Heat, HeatRandom [][]float64
	Bounds           fit.BoundReport
	Timings          map[string]float64 // seconds per stage
}

// CommuteSummary is the data, random-baseline and null value of each metric on each window.
type CommuteSummary struct {
	Windows []commute.WindowMetrics
	// Random: Haar rotations with C's spectrum (commute.Compute); Null: the
	// diagonal-preserving null (commute.DiagonalNull of kind NullKind, NullDraws draws),
	// nil in results cached before it existed.
	Random []commute.BaselineMetrics
	Null   []commute.BaselineMetrics
}

// NullKind is the diagonal-preserving null of the stored commutation summaries: the
// correlations K_ij/sqrt(K_ii K_jj) shuffled among the pairs of a window, so that an entry's
// scale stays tied to its pair's diagonal (results cached before it used entries permuted with
// the modes).
const NullKind = commute.NullShuffleCorrelations

// RandomDraws is the number of Haar draws of the stored commutation baseline (each costs a
// D×D QR and two D³ products); Handle.Commutation recomputes it with more.
const RandomDraws = 2

// NullDraws is the number of draws of the diagonal-preserving commutation null per window
// (each costs O(|S|²)).
const NullDraws = 20

// Final returns the last snapshot's layer named target (the first target when "").
func (r *Result) Final(target string) (*Layer, error) {
	if len(r.Snapshots) == 0 {
		return nil, fmt.Errorf("experiment: %s has no analysed snapshot", r.Config.Name())
	}
	s := &r.Snapshots[len(r.Snapshots)-1]
	for i := range s.Layers {
		if target == "" || s.Layers[i].Target == target {
			return &s.Layers[i], nil
		}
	}
	return nil, fmt.Errorf("experiment: %s has no target %q", r.Config.Name(), target)
}

// Tolerances of the stored bound checks (fit.CheckBounds): relative tolerance of the
// inequalities, and the null-direction threshold relative to the largest |H_ii| and |[E h²]_ii|.
const (
	BoundTol     = 1e-9
	BoundNullTol = 1e-10
)

// HeatModes is the size of the stored heat map block (Fig. 1 uses the top 300).
const HeatModes = 200

// Run trains (or loads) the model of c and analyses it at every checkpoint and at the end,
// returning the cached result when one exists.
func Run(ctx context.Context, c Config, o Options) (*Result, error) {
	h, err := Open(c, o)
	if err != nil {
		return nil, err
	}
	return h.Result(ctx)
}

// run analyses the handle's trained model at every epoch and stores the Result (the cache
// was checked by the caller).
func (h *Handle) run(ctx context.Context) (*Result, error) {
	c, o := h.Config, h.Options
	set, err := h.Data()
	if err != nil {
		return nil, err
	}
	t, err := h.Trained(ctx)
	if err != nil {
		return nil, err
	}
	key := c.Key() + "-result"
	r := &Result{Config: c, Key: c.Key(), Backend: linalg.Backend(), History: t.History, TrainSecs: t.Seconds, N: len(set.Labels)}
	epochs := t.Epochs()
	for i, e := range epochs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m := t.Model
		if i < len(epochs)-1 {
			m = t.Snapshots[e]
		}
		snap := Snapshot{Epoch: e}
		so := o
		so.snapshot.epoch, so.snapshot.done, so.snapshot.total = e, i, len(epochs)
		for _, target := range c.Targets {
			l, err := AnalyzeLayer(ctx, c, m, set, target, i == len(epochs)-1, so)
			if err != nil {
				return nil, fmt.Errorf("experiment: %s epoch %d layer %s: %w", c.Name(), e, target, err)
			}
			snap.Layers = append(snap.Layers, *l)
		}
		r.Snapshots = append(r.Snapshots, snap)
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(r); err != nil {
		return nil, fmt.Errorf("experiment: encoding result: %w", err)
	}
	if err := store(o, key, map[string][]byte{"result.gob": b.Bytes()}); err != nil {
		// The result is good; only caching it failed. Say so and return it.
		o.logf(c.Name(), "result not cached: %v", err)
	}
	return r, nil
}

// AnalyzeLayer measures one target layer of model m on the training subset: H, its
// eigendecomposition, C (Eq. 2), Covar, E_p[h_p^2], F and EF in H's eigenbasis, the power-law
// fits with both window rules, the commutation metrics against random baselines and the
// bound checks. heat additionally stores the Fig. 1 heat maps.
func AnalyzeLayer(ctx context.Context, c Config, m *nn.Model, set *data.Set, target string, heat bool, o Options) (*Layer, error) {
	loss, err := c.LossFunc()
	if err != nil {
		return nil, err
	}
	p := &curv.Problem{Model: m, Loss: loss, X: set.X, Labels: set.Labels, Block: nn.Block{Layers: []string{target}}, Budget: o.Budget}
	run := c.Name()
	a, err := curv.AnalyzeContext(ctx, p, curv.AnalysisOptions{
		Batch: c.Batch, Seed: c.Seed, TopK: c.TopK, KeepDense: true, KeepVectors: true,
		Progress: func(stage string, done, total int) {
			if done == 0 {
				msg := target + ": " + stage
				if sn := o.snapshot; sn.total > 0 {
					msg = fmt.Sprintf("epoch %d, %s", sn.epoch, msg)
				}
				o.emit(Event{Run: run, Stage: "analyze", Done: o.snapshot.done, Total: o.snapshot.total, Message: msg})
			}
		},
	})
	if err != nil {
		return nil, err
	}
	l := AnalysisLayer(target, a)
	l.Commute = map[string]CommuteSummary{}
	if d := a.Dense; d != nil {
		l.Coord = map[string][]float64{}
		for m, a := range DenseMatrices(d) {
			n := a.SymmetricDim()
			v := make([]float64, n)
			for i := range v {
				v[i] = a.At(i, i)
			}
			l.Coord[string(m)] = v
		}
	}
	t0 := time.Now()
	FitLayer(l, c.NPrime, c.Seed)
	l.Timings["fits"] = time.Since(t0).Seconds()

	t0 = time.Now()
	if a.Dense != nil { // nil with TopK: the commutation metrics need the dense matrices
		var kc *mat.SymDense
		if l.Commute, kc, err = commuteSummaries(ctx, a, RandomDraws, c.Seed); err != nil {
			return nil, err
		}
		if heat {
			n := min(HeatModes, a.D)
			l.Heat = commute.SymlogBlock(kc, n, 0)
			rk := commute.RandomRotate(kc, rand.New(rand.NewPCG(c.Seed+1, 0x9E3779B97F4A7C15)))
			l.HeatRandom = commute.SymlogBlock(rk, n, 0)
		}
	}
	l.Timings["commute"] = time.Since(t0).Seconds()
	if !math.IsNaN(a.KappaMax) {
		if b, err := fit.CheckBounds(a.H, a.Eh2, a.KappaMax, BoundTol, BoundNullTol); err == nil {
			l.Bounds = b
		}
	}
	return l, nil
}

// Refit redoes fit k on the layer's diagonals with the same rule and window as FitLayer but
// no bootstrap, so that the used points (dropped from the cache) are known.
func (l *Layer) Refit(k FitKey, nPrime int) (fit.Result, error) {
	y := l.Diagonal(k.Matrix)
	if y == nil {
		return fit.Result{}, fmt.Errorf("experiment: layer %s has no %s diagonal", l.Target, k.Matrix)
	}
	return fit.LogLog(l.H, y, fitOptions(k.Rule, nPrime, 0, 0))
}

// Refits is Refit of every key that succeeds (the others are in FitErrors), by key name,
// each carrying the bootstrap interval (CI) of the stored fit, which Refit does not redo.
func (l *Layer) Refits(nPrime int, keys ...FitKey) map[string]fit.Result {
	out := map[string]fit.Result{}
	for _, k := range keys {
		f, err := l.Refit(k, nPrime)
		if err != nil {
			continue
		}
		if stored, ok := l.Fit(k); ok {
			f.CI = stored.CI
		}
		out[k.String()] = f
	}
	return out
}

// WindowFit is one fit of a window sweep.
type WindowFit struct {
	Label  string // "v1 N'/2", "v1 N'", "v1 2N'", "v2"
	Result fit.Result
	Err    error
}

// WindowSweep refits matrix m against H_ii with rule v1 over the top N'/2, N' and 2N'
// directions and with rule v2: how much γ depends on the window and the rule.
func (l *Layer) WindowSweep(m Matrix, nPrime int) []WindowFit {
	var out []WindowFit
	for _, w := range []struct {
		label string
		rule  fit.Rule
		n     int
	}{{"v1 N'/2", fit.RuleV1, max(nPrime/2, 3)}, {"v1 N'", fit.RuleV1, nPrime}, {"v1 2N'", fit.RuleV1, 2 * nPrime}, {"v2", fit.RuleV2, 0}} {
		r, err := l.Refit(FitKey{Matrix: m, Rule: w.rule}, w.n)
		out = append(out, WindowFit{Label: w.label, Result: r, Err: err})
	}
	return out
}

func fitOptions(rule fit.Rule, nPrime, bootstrap int, seed uint64) fit.Options {
	opt := fit.Options{Rule: rule, Bootstrap: bootstrap, Seed: seed}
	if rule == fit.RuleV1 {
		opt.TopN = nPrime
	}
	return opt
}

// FitLayer fills l.Fits with the power-law fits of every noise matrix against H_ii, using
// the v1 window of the top nPrime directions and the v2 layer-wise rule (docs/science.md C4).
func FitLayer(l *Layer, nPrime int, seed uint64) {
	for _, k := range FitKeys() {
		y := l.Diagonal(k.Matrix)
		if y == nil {
			continue
		}
		r, err := fit.LogLog(l.H, y, fitOptions(k.Rule, nPrime, 200, seed))
		if err != nil {
			l.FitErrors[k.String()] = err.Error()
			continue
		}
		r.Used = nil // indices are recomputable and large
		l.Fits[k.String()] = r
	}
}

// commuteSummaries computes the claim-C3 metrics of C and E_p[h_p²] of a dense analysis (a
// with KeepDense and KeepVectors) on the default windows: data, draws Haar draws and
// NullDraws (at least draws) draws of the diagonal-preserving null. It also returns
// K = Vᵀ C V for the heat maps.
func commuteSummaries(ctx context.Context, a *curv.Analysis, draws int, seed uint64) (map[string]CommuteSummary, *mat.SymDense, error) {
	if a.Dense == nil || a.Eigenvectors == nil {
		return nil, nil, fmt.Errorf("experiment: commutation needs the dense matrices and H's eigenvectors")
	}
	out := map[string]CommuteSummary{}
	windows := commute.DefaultWindows(a.D)
	// One set of Haar draws serves both matrices (each draw's Q is made once). The nulls of
	// the two matrices draw from their own generators (the draws of one null share a
	// generator, so they stay in order) and run beside the Haar draws: they are bound by
	// memory latency, the draws by arithmetic.
	names := []Matrix{MatC, MatEh2}
	ks, err := commute.RotateMany(ctx, []mat.Symmetric{a.Dense.NoiseCov, a.Dense.HessianSquare}, a.Eigenvectors)
	if err != nil {
		return nil, nil, fmt.Errorf("commutation of %s and %s: %w", MatC, MatEh2, err)
	}
	nulls := make([][]commute.BaselineMetrics, len(ks))
	errs := make([]error, len(ks))
	var wg sync.WaitGroup
	for i, k := range ks {
		wg.Go(func() {
			nulls[i], errs[i] = commute.DiagonalNull(k, a.Eigenvalues, commute.NullOptions{Kind: NullKind, Windows: windows, Draws: max(NullDraws, draws), Seed: seed})
		})
	}
	mts, err := commute.ComputeRotatedMany(ctx, ks, a.Eigenvalues, commute.Options{Windows: windows, Draws: draws, Seed: seed})
	wg.Wait()
	if err != nil {
		return nil, nil, fmt.Errorf("commutation of %s and %s: %w", MatC, MatEh2, err)
	}
	for i, mt := range mts {
		if errs[i] != nil {
			return nil, nil, fmt.Errorf("commutation null of %s: %w", names[i], errs[i])
		}
		out[string(names[i])] = CommuteSummary{Windows: mt.Data, Random: mt.Rand, Null: nulls[i]}
	}
	kc := mts[0].K
	return out, kc, nil
}
