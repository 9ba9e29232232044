package experiment

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
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

// CommuteSummary is the data and random-baseline value of each metric on each window.
type CommuteSummary struct {
	Windows []commute.WindowMetrics
	Random  []commute.BaselineMetrics
}

// Gamma returns the slope of fit key ("C/v1", ...) or NaN when that fit failed.
func (l *Layer) Gamma(key string) float64 {
	if r, ok := l.Fits[key]; ok {
		return r.Slope
	}
	return math.NaN()
}

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

// HeatModes is the size of the stored heat map block (Fig. 1 uses the top 300).
const HeatModes = 200

// Run trains (or loads) the model of c and analyses it at every checkpoint and at the end,
// returning the cached result when one exists.
func Run(ctx context.Context, c Config, o Options) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	key := c.Key() + "-result"
	ch := o.cache()
	if !o.Recompute {
		files, ok, err := ch.Get(key)
		if err != nil && o.Log != nil {
			fmt.Fprintf(o.Log, "[%s] %v; recomputing\n", c.Name(), err)
		}
		if ok {
			var r Result
			if err := gob.NewDecoder(bytes.NewReader(files["result.gob"])).Decode(&r); err == nil {
				o.emit(Event{Run: c.Name(), Stage: "analyze", Done: 1, Total: 1, Message: "cached"})
				return &r, nil
			}
		}
	}
	set, err := Data(c, o)
	if err != nil {
		return nil, err
	}
	t, err := Train(ctx, c, set, o)
	if err != nil {
		return nil, err
	}
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
	if err := ch.Put(key, map[string][]byte{"result.gob": b.Bytes()}); err != nil {
		return nil, err
	}
	return r, nil
}

// AnalyzeLayer measures one target layer of model m on the training subset: H, its
// eigendecomposition, C (Eq. 2), Covar, E_p[h_p^2], F and EF in H's eigenbasis, the power-law
// fits with both window rules, the commutation metrics against random baselines and the
// bound checks. heat additionally stores the Fig. 1 heat maps.
func AnalyzeLayer(ctx context.Context, c Config, m *nn.Model, set *data.Set, target string, heat bool, o Options) (*Layer, error) {
	loss, err := nn.LossByName(c.Loss)
	if err != nil {
		return nil, err
	}
	p := &curv.Problem{Model: m, Loss: loss, X: set.X, Labels: set.Labels, Block: nn.Block{Layers: []string{target}}}
	run := c.Name()
	a, err := curv.Analyze(p, curv.AnalysisOptions{
		Batch: c.Batch, Seed: c.Seed, KeepDense: true, KeepVectors: true,
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
	l := &Layer{
		Target: target, D: a.D, Route: a.Route, Eigenvalues: a.Eigenvalues,
		H: a.H, C: a.C, Covar: a.Covar, Eh2: a.Eh2, F: a.F, EF: a.EF,
		KappaMax: a.KappaMax, MeanLoss: a.MeanLoss, GNorm: a.GradNorm,
		Fits: map[string]fit.Result{}, FitErrors: map[string]string{},
		Commute: map[string]CommuteSummary{}, Timings: map[string]float64{},
	}
	for _, s := range a.Timings {
		l.Timings[s.Name] = s.Elapsed.Seconds()
	}
	if d := a.Dense; d != nil {
		l.Coord = map[string][]float64{}
		for _, q := range []struct {
			name string
			m    *mat.SymDense
		}{{"H", d.H}, {"C", d.NoiseCov}, {"Covar", d.MinibatchCov}, {"Eh2", d.HessianSquare}, {"F", d.TrueFisher}, {"EF", d.EmpiricalFisher}} {
			if q.m == nil {
				continue
			}
			n := q.m.SymmetricDim()
			v := make([]float64, n)
			for i := range v {
				v[i] = q.m.At(i, i)
			}
			l.Coord[q.name] = v
		}
	}
	t0 := time.Now()
	FitLayer(l, c.NPrime, c.Seed)
	l.Timings["fits"] = time.Since(t0).Seconds()

	t0 = time.Now()
	windows := commute.DefaultWindows(a.D)
	for _, q := range []struct {
		name string
		m    *mat.SymDense
	}{{"C", a.Dense.NoiseCov}, {"Eh2", a.Dense.HessianSquare}} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		mt, err := commute.Compute(q.m, a.Eigenvalues, a.Eigenvectors, commute.Options{Windows: windows, Draws: 2, Seed: c.Seed})
		if err != nil {
			return nil, fmt.Errorf("commutation of %s: %w", q.name, err)
		}
		l.Commute[q.name] = CommuteSummary{Windows: mt.Data, Random: mt.Rand}
		if heat && q.name == "C" {
			n := min(HeatModes, a.D)
			l.Heat = commute.SymlogBlock(mt.K, n, 0)
			rk := commute.RandomRotate(mt.K, rand.New(rand.NewPCG(c.Seed+1, 0x9E3779B97F4A7C15)))
			l.HeatRandom = commute.SymlogBlock(rk, n, 0)
		}
	}
	l.Timings["commute"] = time.Since(t0).Seconds()
	if !math.IsNaN(a.KappaMax) {
		if b, err := fit.CheckBounds(a.H, a.Eh2, a.KappaMax, 1e-9); err == nil {
			l.Bounds = b
		}
	}
	return l, nil
}

// Diagonal returns the diagonal named by a fit key's matrix part ("C", "Covar", "Eh2", "F",
// "EF"; "C/v1" also works), nil when this layer lacks it.
func (l *Layer) Diagonal(key string) ([]float64, error) {
	name, _, _ := strings.Cut(key, "/")
	switch name {
	case "C":
		return l.C, nil
	case "Covar":
		return l.Covar, nil
	case "Eh2":
		return l.Eh2, nil
	case "F":
		return l.F, nil
	case "EF":
		return l.EF, nil
	}
	return nil, fmt.Errorf("experiment: fit key %q: unknown matrix %q (want C, Covar, Eh2, F or EF)", key, name)
}

// Refit redoes fit key ("C/v1", ...) on the layer's diagonals with the same rule and window
// as FitLayer but no bootstrap, so that the used points (dropped from the cache) are known.
func (l *Layer) Refit(key string, nPrime int) (fit.Result, error) {
	y, err := l.Diagonal(key)
	if err != nil {
		return fit.Result{}, err
	}
	if y == nil {
		return fit.Result{}, fmt.Errorf("experiment: layer %s has no %s diagonal", l.Target, key)
	}
	_, rule, _ := strings.Cut(key, "/")
	return fit.LogLog(l.H, y, fitOptions(fit.Rule(rule), nPrime, 0, 0))
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
	for _, q := range []struct {
		name string
		y    []float64
	}{{"C", l.C}, {"Covar", l.Covar}, {"Eh2", l.Eh2}, {"F", l.F}, {"EF", l.EF}} {
		if q.y == nil {
			continue
		}
		for _, rule := range []fit.Rule{fit.RuleV1, fit.RuleV2} {
			key := q.name + "/" + string(rule)
			r, err := fit.LogLog(l.H, q.y, fitOptions(rule, nPrime, 200, seed))
			if err != nil {
				l.FitErrors[key] = err.Error()
				continue
			}
			r.Used = nil // indices are recomputable and large
			l.Fits[key] = r
		}
	}
}

// FitKeys lists the fit keys in display order.
func FitKeys() []string {
	var ks []string
	for _, q := range []string{"C", "Covar", "Eh2", "F", "EF"} {
		for _, r := range []fit.Rule{fit.RuleV1, fit.RuleV2} {
			ks = append(ks, q+"/"+string(r))
		}
	}
	return slices.Clip(ks)
}
