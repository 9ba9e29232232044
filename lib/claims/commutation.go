package claims

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/noisecurv/noisecurv/lib/commute"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// c3Statement is the claim C3 in one paragraph, with its metrics.
const c3Statement = "Claim C3 (Fig. 1): the SGD noise covariance C is not proportional to the Hessian H, but the two " +
	"approximately commute, [C, H] = CH − HC ≈ 0, so that they share eigenvectors and K = Vᵀ C V (V = H's " +
	"eigenvectors) is close to diagonal. Metrics on a window S of H's modes with projector P = V_S V_Sᵀ: " +
	"normalized commutator |[PCP, PHP]|_F / (|PCP|_F |PHP|_F) (and the authors' code's |P[C,H]P|_F / |PCHP|_F), " +
	"off-diagonal/diagonal RMS ratio of K, " +
	"diagonal energy Σ K_ii² / |K|_F², and Spearman ρ(K_ii, λ_i); each is compared with a random matrix of " +
	"the same spectrum, Q diag(eig C) Qᵀ with Q Haar orthogonal. Windows: full space, top-100, bulk (modes 101..1000)."

// Claim C3 (Fig. 1): C and H approximately commute rather than coincide.
//
// Every metric compares K = Vᵀ A V (A = C or E_p[h_p²], V = H's eigenvectors) with a random
// spectrum-preserving baseline Q diag(eig A) Qᵀ (Q Haar orthogonal), on the full space, the
// top-100 modes and the bulk (modes 101..1000):
//
//	commutator  |[PAP, PHP]|_F / (|PAP|_F |PHP|_F)     (lower = closer to commuting)
//	commutator  |P[A,H]P|_F / |PAHP|_F                 (the authors' normalisation)
//	off-diag    RMS_{i≠j} K_ij / RMS_i K_ii            (lower = closer to diagonal)
//	diag energy Σ K_ii² / |K|_F²                       (higher = closer to diagonal)
//	Spearman    ρ(K_ii, λ_i)                           (higher = same ordering of directions)

// c3PaperCheckpoints are the epochs the paper stops at for Fig. 1 (the final epoch, 100, is
// always analysed); c3FastCheckpoints give the fast preset's 30 epochs an over-training curve.
var (
	c3PaperCheckpoints = []int{1, 10, 30, 50, 70, 80, 90}
	c3FastCheckpoints  = []int{1, 5, 10, 20}
)

// CommutationConfig is the run behind claim C3: the MNIST MLP cross-entropy cell (C' = 10)
// with checkpoints, so the metrics can be followed over training.
func CommutationConfig(o Options, seed uint64) (experiment.Config, error) {
	c, err := o.Preset("mnist", "mlp", "ce", 10, seed)
	if err != nil {
		return c, err
	}
	cps := c3FastCheckpoints
	if o.Paper {
		cps = c3PaperCheckpoints
	}
	c.Checkpoints = nil
	for _, e := range cps {
		if e < c.Epochs {
			c.Checkpoints = append(c.Checkpoints, e)
		}
	}
	return c, nil
}

// c3Metric is one of the four C3 metrics, with the direction in which "commuting" lies.
type c3Metric struct {
	Key   string // "commutator", "offdiag", "diagenergy", "spearman"
	Label string
	// Lower is true when smaller values mean closer to commuting / diagonal.
	Lower bool
	Log   bool // plotted on a log axis
}

var c3Metrics = []c3Metric{
	{"commutator", "normalized commutator", true, true},
	{"commutatorAH", "commutator |P[A,H]P| / |PAHP|", true, true},
	{"offdiag", "off-diagonal / diagonal RMS", true, true},
	{"diagenergy", "diagonal energy", false, true},
	{"spearman", "Spearman ρ(K_ii, λ_i)", false, false},
}

// c3FmtSummary prints a mean over seeds, with its spread when there are several.
func c3FmtSummary(v []float64, digits int) string {
	s := fit.Aggregate(v)
	if s.N == 0 {
		return "n/a"
	}
	if s.N == 1 {
		return fmtDigits(s.Mean, digits)
	}
	return fmtDigits(s.Mean, digits) + " ± " + fmtDigits(s.Std, 2)
}

// Commutation checks claim C3 (Fig. 1) on the MNIST MLP with cross-entropy, following the
// model over training: fitted γ per epoch, the commutator on the full space, top-100 and
// bulk windows, the Spearman correlation of the diagonals, the off-diagonal ratio and the
// diagonal energy, each against the spectrum-preserving random baseline, and heat maps of
// symlog(Vᵀ C V) on the top modes for the data and for a random rotation.
func Commutation(ctx context.Context, o Options) (*Report, error) {
	rep := newReport(o, "C3", "C and H approximately commute", "03_commutation.ipynb", c3Statement)
	var results []*experiment.Result
	for _, seed := range o.seeds() {
		c, err := CommutationConfig(o, seed)
		if err != nil {
			return nil, err
		}
		r, err := experiment.Run(ctx, c, o.Run)
		if err != nil {
			return nil, fmt.Errorf("claims: C3: %w", err)
		}
		results = append(results, r)
	}
	r0 := results[0]
	final0, err := r0.Final("")
	if err != nil {
		return nil, err
	}
	figs, err := c3Figures(r0, final0)
	if err != nil {
		return nil, fmt.Errorf("claims: C3 figures: %w", err)
	}
	rep.Figures = figs

	// Rows: γ at the first and last analysed epoch.
	for _, key := range []experiment.FitKey{experiment.MatC.V1(), experiment.MatCovar.V1(), experiment.MatEh2.V1()} {
		var first, last []float64
		for _, r := range results {
			_, g := r.GammaSeries(key)
			if len(g) > 0 {
				first = append(first, g[0])
				last = append(last, g[len(g)-1])
			}
		}
		rep.Rows = append(rep.Rows, Row{
			Quantity: fmt.Sprintf("γ (%s), epoch %d → %d", key, r0.Snapshots[0].Epoch, r0.Snapshots[len(r0.Snapshots)-1].Epoch),
			Measured: c3FmtSummary(first, 3) + " → " + c3FmtSummary(last, 3),
			Paper:    "between the reference lines 1 and 2",
		})
	}
	stats, err := C3Measure(ctx, o, o.seeds()[0])
	if err != nil {
		return nil, err
	}
	top := -1
	for i, st := range stats {
		if strings.HasPrefix(st.Window, "top") {
			top = i
		}
	}
	if top < 0 {
		return nil, fmt.Errorf("claims: C3: no top window among %d", len(stats))
	}
	rep.Criteria = C3Criteria(stats[top], stats...)
	rep.decide()
	return rep, nil
}

// C3Stats are the commutation statistics of C with H at the final epoch on one window of
// H's modes: the data's metrics and the two nulls' draws.
type C3Stats struct {
	Window string
	Data   commute.WindowMetrics
	// Haar draws are Q diag(eig C) Qᵀ (Q Haar orthogonal): same spectrum, no relation to H.
	// Null draws keep C's diagonal in H's eigenbasis and the multiset of its correlations
	// K_ij/sqrt(K_ii K_jj), shuffled among the pairs (experiment.NullKind): C's diagonal
	// dominance and correlation strengths without their placement.
	Haar, Null commute.BaselineMetrics
}

// c3Draws is the number of Haar draws behind C3's criteria: one held out as the control,
// eight for the null's mean and sd.
const c3Draws = 9

// c3MinZ is how many null standard deviations the data must sit below a null's mean.
const c3MinZ = 3

// C3Criteria test "C and H approximately commute" on the top window with the paper's
// normalized commutator |[PCP, PHP]|_F / (|PCP|_F |PHP|_F): the data must lie 3 null
// standard deviations below the null's mean, against Haar draws and against the diagonal-
// preserving null; each control is the first draw of its null, held out and tested against
// the others. Every metric on every window is reported, with both nulls' means: the
// off-diagonal ratio, diagonal energy and Spearman are blind to where the off-diagonal mass
// sits (the diagonal-preserving null keeps them exactly).
func C3Criteria(top C3Stats, all ...C3Stats) []Criterion {
	var out []Criterion
	for _, n := range []struct {
		name, ctl string
		draws     []float64
	}{
		{"a random matrix of C's spectrum (Haar)", "a held-out Haar draw", top.Haar.Commutators},
		{"C's diagonal with its correlations moved to other pairs", "a held-out null draw", top.Null.Commutators},
	} {
		c := Criterion{Name: fmt.Sprintf("C commutes with H better than %s (%s)", n.name, top.Window),
			Statistic: "z = (null mean − data) / null sd, normalized commutator", Kind: Core, Sense: Above,
			Measured: Point(math.NaN()), Threshold: c3MinZ, ThresholdWhy: "3 null standard deviations"}
		if len(n.draws) >= 4 {
			c.Measured = Point(fit.ZBelow(top.Data.Commutator, n.draws[1:]))
			c.Measured.Band = fmt.Sprintf("data %s vs null %s ± %s, %d draws", fmtG(top.Data.Commutator),
				fmtG(fit.Aggregate(n.draws[1:]).Mean), fmtG(fit.Aggregate(n.draws[1:]).Std), len(n.draws)-1)
			c.ControlName, c.Control = n.ctl, ptr(Point(fit.ZBelow(n.draws[0], n.draws[1:])))
		}
		out = append(out, c)
	}
	for _, s := range all {
		for _, m := range []struct {
			name       string
			data       float64
			haar, null fit.Summary
		}{{"normalized commutator", s.Data.Commutator, s.Haar.Commutator, s.Null.Commutator},
			{"commutator, authors' normalization", s.Data.CommutatorAH, s.Haar.CommutatorAH, s.Null.CommutatorAH},
			{"off-diagonal / diagonal RMS", s.Data.OffDiagRatio, s.Haar.OffDiagRatio, s.Null.OffDiagRatio},
			{"diagonal energy", s.Data.DiagEnergy, s.Haar.DiagEnergy, s.Null.DiagEnergy},
			{"Spearman ρ(K_ii, λ_i)", s.Data.Spearman, s.Haar.Spearman, s.Null.Spearman}} {
			e := Point(m.data)
			e.Band = fmt.Sprintf("Haar %s ± %s; diagonal-preserving null %s ± %s", fmtG(m.haar.Mean), fmtG(m.haar.Std), fmtG(m.null.Mean), fmtG(m.null.Std))
			out = append(out, Criterion{Name: fmt.Sprintf("%s, %s", m.name, s.Window), Statistic: m.name, Kind: Reported, Measured: e})
		}
	}
	return out
}

// C3Measure returns the C3 statistics of the run behind claim C3 at its final epoch, one
// per window (full, top, bulk), with c3Draws Haar draws and the diagonal-preserving null
// (computed once per run, then cached).
func C3Measure(ctx context.Context, o Options, seed uint64) ([]C3Stats, error) {
	c, err := CommutationConfig(o, seed)
	if err != nil {
		return nil, err
	}
	h, err := experiment.Open(c, o.Run)
	if err != nil {
		return nil, err
	}
	cs, err := h.Commutation(ctx, experiment.FinalEpoch, "", c3Draws)
	if err != nil {
		return nil, fmt.Errorf("claims: C3: %w", err)
	}
	sum := cs[string(experiment.MatC)]
	var out []C3Stats
	for i, w := range sum.Windows {
		if i >= len(sum.Random) || i >= len(sum.Null) {
			break
		}
		out = append(out, C3Stats{Window: w.Window.Name, Data: w, Haar: sum.Random[i], Null: sum.Null[i]})
	}
	return out, nil
}

// c3Figures draws Fig. 1: γ vs epoch, commutators vs epoch with random baselines, Spearman
// vs epoch, off-diagonal ratio and diagonal energy vs epoch, and the heat maps.
func c3Figures(r *experiment.Result, final *experiment.Layer) ([]*viz.Figure, error) {
	var figs viz.Figures
	// γ vs epoch.
	var gs []viz.XYSeries
	for _, q := range []struct {
		key  experiment.FitKey
		name string
	}{
		{experiment.MatC.V1(), "C (Eq. 2), v1"}, {experiment.MatCovar.V1(), "Covar (minibatch), v1"}, {experiment.MatEh2.V1(), "E h² (AWD), v1"}, {experiment.MatC.V2(), "C (Eq. 2), v2"},
	} {
		x, y := r.GammaSeries(q.key)
		x, y = viz.Finite(x, y, false)
		if len(x) > 0 {
			gs = append(gs, viz.XYSeries{Name: q.name, X: x, Y: y})
		}
	}
	if len(gs) > 0 {
		figs.Add(viz.Lines(viz.LineSpec{Title: "Fitted γ vs epoch (" + r.Config.Name() + ")", XName: "epoch", YName: "γ",
			Series: gs, Refs: []viz.RefLine{{Y: 1, Label: "γ = 1"}, {Y: 2, Label: "γ = 2"}}}))
	}
	windows := []string{"full", "top", "bulk"}
	wname := func(prefix string) string {
		if w, _, ok := final.Commute["C"].Window(prefix); ok {
			return w.Window.Name
		}
		return prefix
	}
	for _, m := range c3Metrics {
		for _, q := range []string{"C", "Eh2"} {
			if q == "Eh2" && m.Key != "commutator" {
				continue // one figure for E h²: the commutator; its other metrics are in the table
			}
			var ss []viz.XYSeries
			for _, prefix := range windows {
				x, d, rn := r.CommuteSeries(q, prefix, m.Key)
				if xd, yd := viz.Finite(x, d, m.Log); len(xd) > 0 {
					ss = append(ss, viz.XYSeries{Name: wname(prefix) + " data", X: xd, Y: yd})
				}
				if xr, yr := viz.Finite(x, rn, m.Log); len(xr) > 0 {
					ss = append(ss, viz.XYSeries{Name: wname(prefix) + " random", X: xr, Y: yr})
				}
			}
			if len(ss) > 0 {
				figs.Add(viz.Lines(viz.LineSpec{Title: fmt.Sprintf("%s of %s vs epoch (data vs random)", m.Label, q),
					XName: "epoch", YName: m.Label, LogY: m.Log, Series: ss, Symbols: true}))
			}
		}
	}
	// Heat maps of symlog(Vᵀ C V) on the top modes, data vs random.
	for _, h := range []struct {
		z    [][]float64
		name string
	}{{final.Heat, "data"}, {final.HeatRandom, "random rotation (same spectrum)"}} {
		if len(h.z) > 0 {
			figs.Add(viz.HeatMap(viz.HeatMapSpec{
				Title: fmt.Sprintf("symlog(Vᵀ C V), top %d modes, %s, epoch %d", len(h.z), h.name, r.Snapshots[len(r.Snapshots)-1].Epoch),
				Z:     h.z, XName: "mode j", YName: "mode i", Width: 560, Height: 520,
				ValueName: "symlog (linear below 1e-3 × max of the block)",
			}))
		}
	}
	return figs.Result()
}
