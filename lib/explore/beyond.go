package explore

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/noisecurv/noisecurv/lib/claims"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/linalg"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// Beyond the paper: questions it leaves open, answered with the toolkit on the MNIST MLP
// cross-entropy cell (C' = 10) of the preset:
//
//	(a) does γ depend on the batch size B (C carries 1/B, but training with another B also
//	    lands in another minimum)?
//	(b) tanh instead of ReLU: the per-sample Hessian gains the residual Σ_c (∂l/∂f_c) ∇²f_c,
//	    the Kronecker route no longer applies, and h_p can be indefinite even for CE;
//	(c) label noise: samples that must be memorized against their neighbours stay
//	    unconfident (large 1 − p_y), which changes the stiff/soft sample mix behind γ;
//	(d) another dataset (Fashion-MNIST) with the same model.

// Settings of the Beyond studies (exported so notebooks can change them).
var (
	// BeyondBatches are the batch sizes of study (a); 50 is the paper's MNIST batch.
	BeyondBatches = []int{25, 50, 100}
	// BeyondLabelNoise are the label-noise fractions of study (c).
	BeyondLabelNoise = []float64{0, 0.2}
	// BeyondTanhPerClass is the analysis subset of study (b), samples per class: the tanh
	// layer needs exact HVPs (2·D passes over the samples), so it is analysed, together with
	// the ReLU model for a like-for-like comparison, on this balanced subset of the training set.
	BeyondTanhPerClass = 50
)

// Thresholds of the Beyond conclusions.
const (
	byBatchTol  = 0.1  // γ "does not depend on B" when max − min over B ≤ 0.1
	byChangeTol = 0.1  // a change of γ larger than this is reported as a change
	byLinearTol = 0.15 // "near linear" means |γ − 1| ≤ 0.15
	byAccTol    = 0.01 // runs whose final training accuracies differ by more are "differently trained"
)

// BeyondRun is one run of a Beyond study: its x value (B, noise, ...), config, result and
// final target layer.
type BeyondRun struct {
	Label  string
	X      float64
	Config experiment.Config
	Result *experiment.Result
	Layer  *experiment.Layer
}

// TrainAcc is the final training accuracy (NaN when unknown).
func (r *BeyondRun) TrainAcc() float64 {
	if r.Result == nil {
		return math.NaN()
	}
	return r.Result.History.FinalTrainAcc()
}

func beyondBase(o claims.Options, seed uint64) (experiment.Config, error) {
	return o.Preset("mnist", "mlp", "ce", 10, seed)
}

func beyondRun(ctx context.Context, o claims.Options, label string, x float64, c experiment.Config) (*BeyondRun, error) {
	r, err := experiment.Run(ctx, c, o.Run)
	if err != nil {
		return nil, fmt.Errorf("explore: %s: %w", label, err)
	}
	l, err := r.Final("")
	if err != nil {
		return nil, err
	}
	return &BeyondRun{Label: label, X: x, Config: c, Result: r, Layer: l}, nil
}

// beyondSweep runs the base cell once per value v of values, with edit applying v to the
// config and returning the run's label and x value.
func beyondSweep[T any](ctx context.Context, o claims.Options, seed uint64, values []T, edit func(c *experiment.Config, v T) (label string, x float64)) ([]*BeyondRun, error) {
	var out []*BeyondRun
	for _, v := range values {
		c, err := beyondBase(o, seed)
		if err != nil {
			return nil, err
		}
		label, x := edit(&c, v)
		r, err := beyondRun(ctx, o, label, x, c)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// BeyondBatch runs study (a): the MNIST MLP CE cell trained and analysed with each batch size
// (C of Eq. 2 uses the same B as training).
func BeyondBatch(ctx context.Context, o claims.Options, seed uint64, batches []int) ([]*BeyondRun, error) {
	return beyondSweep(ctx, o, seed, batches, func(c *experiment.Config, b int) (string, float64) {
		c.Batch = b
		return fmt.Sprintf("B = %d", b), float64(b)
	})
}

// BeyondLabelNoiseRuns runs study (c): the same cell with a fraction of training labels
// replaced by uniformly drawn wrong ones (experiment.Config.LabelNoise).
func BeyondLabelNoiseRuns(ctx context.Context, o claims.Options, seed uint64, levels []float64) ([]*BeyondRun, error) {
	return beyondSweep(ctx, o, seed, levels, func(c *experiment.Config, q float64) (string, float64) {
		c.LabelNoise = q
		return fmt.Sprintf("label noise %g", q), q
	})
}

// BeyondFashion runs study (d): the MLP CE cell on Fashion-MNIST and on MNIST. ok is false
// (with a note) when Fashion-MNIST is not installed.
func BeyondFashion(ctx context.Context, o claims.Options, seed uint64) (runs []*BeyondRun, note string, err error) {
	for _, ds := range []string{"mnist", "fashion-mnist"} {
		c, err := o.Preset(ds, "mlp", "ce", 10, seed)
		if err != nil {
			return nil, "", err
		}
		if _, ok := experiment.Cached(c, o.Run); !ok && ds != "mnist" {
			if _, err := experiment.Data(c, o.Run); err != nil {
				return runs, fmt.Sprintf("Fashion-MNIST skipped: dataset not available (%s); install Debian's dataset-fashion-mnist", claims.NoteMissingData("ext", ds, err)), nil
			}
		}
		r, err := beyondRun(ctx, o, experiment.RowLabel(ds, "mlp", "ce"), 0, c)
		if err != nil {
			return nil, "", err
		}
		runs = append(runs, r)
	}
	return runs, "", nil
}

// TanhStudy is study (b): a tanh MLP and the ReLU MLP of the same cell, both analysed on the
// same balanced subset of their (identical) training set.
type TanhStudy struct {
	PerClass, N int
	Tanh, ReLU  *BeyondRun // Layer is the subset analysis; Result the cached training run
	// ResidualShare is |H − G|_F / |H|_F for the tanh layer, G the Gauss-Newton term J^T Q J:
	// the weight of the residual Σ_c (∂l/∂f_c) ∇²f_c that the ReLU network does not have.
	ResidualShare float64
	// NegEig is the number of negative eigenvalues of the tanh layer's H.
	NegEig int
	// Seconds of the tanh analysis (D HVP passes for H, its eigendecomposition, D HVP passes
	// for [E h²]_ii) and of the ReLU analysis (Kronecker route) on the same samples.
	TanhSeconds, ReLUSeconds float64
}

// BeyondTanh runs study (b) (cached: the subset analyses are stored next to the runs).
func BeyondTanh(ctx context.Context, o claims.Options, seed uint64, perClass int) (*TanhStudy, error) {
	base, err := beyondBase(o, seed)
	if err != nil {
		return nil, err
	}
	h, err := experiment.Open(base, o.Run)
	if err != nil {
		return nil, err
	}
	return experiment.Derived(h, fmt.Sprintf("tanh-n%d-v1", perClass), func() (*TanhStudy, error) { return beyondTanh(ctx, h, perClass) })
}

func beyondTanh(ctx context.Context, base *experiment.Handle, perClass int) (*TanhStudy, error) {
	seed := base.Config.Seed
	set, err := base.Data()
	if err != nil {
		return nil, err
	}
	sub, err := base.Subset(perClass, seed+1)
	if err != nil {
		return nil, err
	}
	st := &TanhStudy{PerClass: perClass, N: sub.Len()}
	for _, act := range []string{"relu", "tanh"} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h := base
		if act != base.Config.Act {
			c := base.Config
			c.Act = act
			if h, err = experiment.Open(c, base.Options); err != nil {
				return nil, err
			}
		}
		c := h.Config
		t, err := h.Trained(ctx)
		if err != nil {
			return nil, err
		}
		p, err := h.ProblemOn(ctx, sub, experiment.FinalEpoch)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		var l *experiment.Layer
		h.Emit("analyze", 0, 0, fmt.Sprintf("%s on %d samples", c.Targets[0], sub.Len()))
		if act == "relu" {
			a, err := curv.Analyze(p, curv.AnalysisOptions{Batch: c.Batch, Seed: c.Seed})
			if err != nil {
				return nil, err
			}
			l = experiment.AnalysisLayer(c.Targets[0], a)
			st.ReLUSeconds = time.Since(start).Seconds()
		} else {
			H, err := curv.Hessian(p)
			if err != nil {
				return nil, err
			}
			vals, vecs, err := curv.Eigen(H)
			if err != nil {
				return nil, err
			}
			dg, err := curv.HVPDiagonals(p, vecs, c.Batch, c.Seed)
			if err != nil {
				return nil, err
			}
			l = experiment.DiagonalsLayer(c.Targets[0], vals, dg)
			st.TanhSeconds = time.Since(start).Seconds()
			G, err := curv.GaussNewton(p)
			if err != nil {
				return nil, err
			}
			st.ResidualShare = linalg.RelFrobenius(G, H)
			for _, v := range vals {
				if v < 0 {
					st.NegEig++
				}
			}
		}
		experiment.FitLayer(l, c.NPrime, c.Seed)
		r := &BeyondRun{Label: act, Config: c, Layer: l, Result: &experiment.Result{Config: c, History: t.History, N: len(set.Labels)}}
		if act == "relu" {
			st.ReLU = r
		} else {
			st.Tanh = r
		}
	}
	return st, nil
}

// beyondBatchConclusion says whether γ_emp depends on B.
func beyondBatchConclusion(runs []*BeyondRun) string {
	var g []float64
	var parts []string
	for _, r := range runs {
		g = append(g, r.Layer.Gamma(experiment.MatC.V1()))
		parts = append(parts, fmt.Sprintf("%.3f at B = %d", r.Layer.Gamma(experiment.MatC.V1()), r.Config.Batch))
	}
	s := fit.Spread(g)
	verdict := "γ does not depend on the batch size within"
	if !(s <= byBatchTol) {
		verdict = "γ changes with the batch size by more than"
	}
	out := fmt.Sprintf("(a) γ_emp (C, v1) is %s: spread %.3f, so %s %g.", strings.Join(parts, ", "), s, verdict, byBatchTol)
	var acc []float64
	for _, r := range runs {
		acc = append(acc, r.TrainAcc())
	}
	if a := fit.Spread(acc); a > byAccTol {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range acc {
			if fit.IsFinite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		out += fmt.Sprintf(" The runs also end at different training accuracies (%.4f to %.4f, same number of epochs, so fewer steps for larger B): the change can come from how far training got rather than from B itself.", lo, hi)
	}
	return out
}

// beyondAccSentence states the γ–accuracy correlation; |r| ≥ 0.7 counts as strong.
func beyondAccSentence(r float64, n int) string {
	switch {
	case r >= 0.7:
		return fmt.Sprintf("Across the %d full-data runs γ_emp rises with the final training accuracy (Pearson r = %.2f): at a fixed epoch budget, settings that fit the training set less completely show a more linear noise–curvature relation.", n, r)
	case r <= -0.7:
		return fmt.Sprintf("Across the %d full-data runs γ_emp falls as the final training accuracy rises (Pearson r = %.2f).", n, r)
	default:
		return fmt.Sprintf("Across the %d full-data runs γ_emp shows no strong relation to the final training accuracy (Pearson r = %.2f).", n, r)
	}
}

// beyondAccCorrelation is the Pearson correlation of γ_emp (C, v1) with the final training
// accuracy over runs (NaN when fewer than 3 finite pairs or no spread).
func beyondAccCorrelation(runs []*BeyondRun) (r float64, n int) {
	var g, a []float64
	seen := map[string]bool{}
	for _, run := range runs {
		if k := run.Config.Key(); seen[k] {
			continue // the same run reused by several studies (B = 50, noise 0, MNIST)
		} else {
			seen[k] = true
		}
		x, y := run.Layer.Gamma(experiment.MatC.V1()), run.TrainAcc()
		if fit.IsFinite(x) && fit.IsFinite(y) {
			g, a = append(g, x), append(a, y)
		}
	}
	if len(g) < 3 {
		return math.NaN(), len(g)
	}
	r, err := fit.Pearson(a, g)
	if err != nil {
		return math.NaN(), len(g)
	}
	return r, len(g)
}

// beyondChange describes the change of γ_emp from the first run to each other one.
func beyondChange(tag string, runs []*BeyondRun) string {
	if len(runs) < 2 {
		return fmt.Sprintf("(%s) only %d run: nothing to compare.", tag, len(runs))
	}
	g0 := runs[0].Layer.Gamma(experiment.MatC.V1())
	var parts []string
	for _, r := range runs[1:] {
		g := r.Layer.Gamma(experiment.MatC.V1())
		word := "unchanged within"
		switch {
		case g-g0 > byChangeTol:
			word = "higher by more than"
		case g0-g > byChangeTol:
			word = "lower by more than"
		}
		parts = append(parts, fmt.Sprintf("%s: γ_emp %.3f vs %.3f for %s (%s %g; train acc %.3f vs %.3f)", r.Label, g, g0, runs[0].Label, word, byChangeTol, r.TrainAcc(), runs[0].TrainAcc()))
	}
	return fmt.Sprintf("(%s) %s.", tag, strings.Join(parts, "; "))
}

// beyondTanhConclusion compares tanh and ReLU on the same samples; full is the ReLU run's
// γ_emp on all its training samples (NaN when unknown).
func beyondTanhConclusion(st *TanhStudy, full float64) string {
	gt, gr := st.Tanh.Layer.Gamma(experiment.MatC.V1()), st.ReLU.Layer.Gamma(experiment.MatC.V1())
	at := st.Tanh.Layer.Gamma(experiment.MatEh2.V1())
	shape := "superlinear (γ > 1)"
	switch {
	case math.Abs(gt-1) <= byLinearTol:
		shape = fmt.Sprintf("near linear (|γ − 1| ≤ %g)", byLinearTol)
	case gt < 1:
		shape = "sublinear (γ < 1)"
	}
	out := fmt.Sprintf("(b) tanh: γ_emp %.3f, %s, vs ReLU %.3f on the same %d samples; γ_AWD %.3f (|γ_AWD − γ_emp| = %.3f); the residual term is %.1f%% of |H|_F and H has %d negative eigenvalues.",
		gt, shape, gr, st.N, at, math.Abs(at-gt), 100*st.ResidualShare, st.NegEig)
	if fit.IsFinite(full) && math.Abs(full-gr) > byChangeTol {
		out += fmt.Sprintf(" The same ReLU model gives γ_emp %.3f on all its training samples: with N = %d below D = %d the exponent depends on the sample set, so only the like-for-like tanh/ReLU comparison is meaningful.", full, st.N, st.ReLU.Layer.D)
	}
	return out
}

// beyondRows adds the rows of one study.
func beyondRows(rep *claims.Report, tag string, runs []*BeyondRun, paper string) {
	for _, r := range runs {
		l := r.Layer
		rep.Rows = append(rep.Rows, claims.Row{
			Quantity: fmt.Sprintf("(%s) %s: γ_emp / γ_AWD (v1)", tag, r.Label),
			Measured: fmt.Sprintf("%s / %s", fmtGamma(l, experiment.MatC.V1()), fmtGamma(l, experiment.MatEh2.V1())),
			Paper:    paper,
			Note:     fmt.Sprintf("v2: %s / %s; Covar v1 %s; train acc %.4f; N %d", fmtGamma(l, experiment.MatC.V2()), fmtGamma(l, experiment.MatEh2.V2()), fmtGamma(l, experiment.MatCovar.V1()), r.TrainAcc(), r.Result.N),
		})
	}
}

func fmtGamma(l *experiment.Layer, key experiment.FitKey) string {
	if g := l.Gamma(key); fit.IsFinite(g) {
		return fmt.Sprintf("%.3f", g)
	}
	return "fit failed"
}

// BeyondGammaFigure draws γ_emp and γ_AWD (rules v1 and v2) against the runs' X values.
func BeyondGammaFigure(title, xName string, logX bool, runs []*BeyondRun) (*viz.Figure, error) {
	var series []viz.XYSeries
	for _, k := range []struct {
		key  experiment.FitKey
		name string
	}{{experiment.MatC.V1(), "γ_emp (C, v1)"}, {experiment.MatEh2.V1(), "γ_AWD (E h², v1)"}, {experiment.MatC.V2(), "γ_emp (C, v2)"}, {experiment.MatCovar.V1(), "γ_emp (Covar, v1)"}} {
		var x, y []float64
		for _, r := range runs {
			if g := r.Layer.Gamma(k.key); fit.IsFinite(g) {
				x = append(x, r.X)
				y = append(y, g)
			}
		}
		if len(x) > 0 {
			series = append(series, viz.XYSeries{Name: k.name, X: x, Y: y})
		}
	}
	if len(series) == 0 {
		return nil, fmt.Errorf("explore: %s: no finite exponent", title)
	}
	return viz.Lines(viz.LineSpec{Title: title, XName: xName, YName: "γ", LogX: logX, Series: series,
		Refs: []viz.RefLine{{Y: 1, Label: "γ = 1"}}, Symbols: true})
}

// BeyondPanel draws C_ii (times scale(run), e.g. B to undo Eq. 2's 1/B) vs H_ii for several
// runs in one log-log panel with their v1 fits, shifted by gap decades per run.
func BeyondPanel(title, yName string, runs []*BeyondRun, key experiment.FitKey, gap float64, scale func(*BeyondRun) float64) (*viz.Figure, error) {
	var series []viz.XYSeries
	for i, r := range runs {
		l := r.Layer
		f, err := l.Refit(key, r.Config.NPrime)
		if err != nil {
			return nil, fmt.Errorf("explore: %s: %w", r.Label, err)
		}
		src := l.Diagonal(key.Matrix)
		s := 1.0
		if scale != nil {
			s = scale(r)
		}
		y := make([]float64, len(src))
		for j, v := range src {
			y[j] = s * v
		}
		vf := viz.FitLine(f, l.H)
		vf.Intercept += math.Log10(s)
		series = append(series, viz.XYSeries{Name: r.Label, X: l.H, Y: y, Mask: true, Offset: -gap * float64(i), Fit: vf})
	}
	return viz.LogLog(viz.LogLogSpec{Title: title, XName: "H_ii (eigenvalue of H)", YName: yName, Series: series})
}

// Beyond answers questions the paper leaves open: (a) batch-size dependence, (b) tanh
// networks, (c) label noise, (d) Fashion-MNIST; each with a figure and a conclusion.
func Beyond(ctx context.Context, o claims.Options) (*claims.Report, error) {
	rep := &claims.Report{
		ID: "ext", Title: "Beyond the paper: batch size, tanh, label noise, Fashion-MNIST", Notebook: "09_beyond.ipynb", Preset: o.PresetName(),
		Verdict: claims.Informational,
		Statement: "Questions the paper leaves open, on the MNIST MLP cross-entropy cell (C' = 10) of the preset, with γ the slope of log C_ii vs log H_ii " +
			"in H's eigenbasis (C = (1/B)(E_p[g_p g_pᵀ] − g gᵀ), rule v1 unless said otherwise): (a) does γ depend on the batch size B? " +
			"(b) with tanh the per-sample Hessian h_p = J_pᵀ Q_p J_p + Σ_c (∂l_p/∂f_c) ∇²f_c keeps a residual term and is no longer Kronecker " +
			"factorized: does the superlinear law survive? (c) with a fraction of wrong labels, does γ change? (d) does it hold on Fashion-MNIST?",
	}
	seed := firstSeed(o)
	var why []string

	batch, err := BeyondBatch(ctx, o, seed, BeyondBatches)
	if err != nil {
		return nil, err
	}
	beyondRows(rep, "a", batch, "not studied")
	why = append(why, beyondBatchConclusion(batch))
	f1, err := BeyondGammaFigure("(a) γ vs batch size B", "batch size B", true, batch)
	if err != nil {
		return nil, err
	}
	f2, err := BeyondPanel("(a) B·C_ii vs H_ii for each B (B·C removes Eq. 2's 1/B; offset 1 decade per B)", "B·C_ii (offset)", batch, experiment.MatC.V1(), 1,
		func(r *BeyondRun) float64 { return float64(r.Config.Batch) })
	if err != nil {
		return nil, err
	}
	rep.Figures = append(rep.Figures, f1, f2)

	st, err := BeyondTanh(ctx, o, seed, BeyondTanhPerClass)
	if err != nil {
		return nil, err
	}
	beyondRows(rep, "b", []*BeyondRun{st.ReLU, st.Tanh}, "not studied (paper: ReLU only)")
	rep.Rows = append(rep.Rows, claims.Row{Quantity: "(b) tanh: residual |H − J^T Q J|_F / |H|_F; negative eigenvalues of H", Measured: fmt.Sprintf("%.3f; %d of %d", st.ResidualShare, st.NegEig, st.Tanh.Layer.D),
		Paper: "0 for ReLU (piecewise linear)", Note: fmt.Sprintf("analysis on %d samples (%d per class): tanh %.1f s by exact HVPs, ReLU %.1f s by the Kronecker route", st.N, st.PerClass, st.TanhSeconds, st.ReLUSeconds)})
	full := math.NaN()
	for _, r := range batch {
		if r.Config.Batch == st.ReLU.Config.Batch {
			full = r.Layer.Gamma(experiment.MatC.V1())
		}
	}
	why = append(why, beyondTanhConclusion(st, full))
	f3, err := BeyondPanel(fmt.Sprintf("(b) C_ii vs H_ii, ReLU vs tanh (same %d samples; offset 2 decades)", st.N), "C_ii (offset)", []*BeyondRun{st.ReLU, st.Tanh}, experiment.MatC.V1(), 2, nil)
	if err != nil {
		return nil, err
	}
	f4, err := BeyondPanel(fmt.Sprintf("(b) [E_p h_p²]_ii vs H_ii, ReLU vs tanh (same %d samples; offset 2 decades)", st.N), "[E h²]_ii (offset)", []*BeyondRun{st.ReLU, st.Tanh}, experiment.MatEh2.V1(), 2, nil)
	if err != nil {
		return nil, err
	}
	rep.Figures = append(rep.Figures, f3, f4)

	noise, err := BeyondLabelNoiseRuns(ctx, o, seed, BeyondLabelNoise)
	if err != nil {
		return nil, err
	}
	beyondRows(rep, "c", noise, "not studied")
	why = append(why, beyondChange("c", noise))
	f5, err := BeyondPanel("(c) C_ii vs H_ii with label noise (offset 2 decades per level)", "C_ii (offset)", noise, experiment.MatC.V1(), 2, nil)
	if err != nil {
		return nil, err
	}
	rep.Figures = append(rep.Figures, f5)

	fash, note, err := BeyondFashion(ctx, o, seed)
	if err != nil {
		return nil, err
	}
	if note != "" {
		rep.Rows = append(rep.Rows, claims.Row{Quantity: "(d) Fashion-MNIST", Measured: "skipped", Note: note})
		why = append(why, "(d) "+note+".")
	} else {
		beyondRows(rep, "d", fash, "not in the paper (MNIST, CIFAR-10 only)")
		why = append(why, beyondChange("d", fash))
		f6, err := BeyondPanel("(d) C_ii vs H_ii, MNIST vs Fashion-MNIST (MLP, CE; offset 2 decades)", "C_ii (offset)", fash, experiment.MatC.V1(), 2, nil)
		if err != nil {
			return nil, err
		}
		rep.Figures = append(rep.Figures, f6)
	}
	// Across the studies: does γ follow how far training got?
	var all []*BeyondRun
	all = append(all, batch...)
	all = append(all, noise...)
	all = append(all, fash...)
	if r, n := beyondAccCorrelation(all); fit.IsFinite(r) {
		rep.Rows = append(rep.Rows, claims.Row{Quantity: "γ_emp vs final training accuracy, Pearson r over the full-data runs", Measured: fmt.Sprintf("%.3f (%d runs)", r, n),
			Paper: "not studied", Note: "batch, label-noise and dataset runs (the tanh subset analysis excluded)"})
		why = append(why, beyondAccSentence(r, n))
	}
	rep.Why = strings.Join(why, " ")
	return rep, nil
}

// firstSeed is the seed the studies run (the first of o.Seeds, 0 by default).
func firstSeed(o claims.Options) uint64 {
	if len(o.Seeds) == 0 {
		return 0
	}
	return o.Seeds[0]
}
