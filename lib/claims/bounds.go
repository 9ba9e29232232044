package claims

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// c6aStatement is the claim C6 (part 1) in one paragraph, with its equations.
const c6aStatement = "Claim C6 (part 1): write each per-sample Hessian as h_p = Σ_m κ_pm u_pm u_pmᵀ and let w_pmi = (u_pm·v_i)² be the weight " +
	"of its mode m on the eigenvector v_i of H. Then H_ii = E_p Σ_m κ_pm w_pmi and [E h²]_ii = E_p Σ_m κ_pm² w_pmi, so " +
	"H_ii² ≤ [E h²]_ii always and [E h²]_ii ≤ κ_max H_ii when every h_p is positive semi-definite (cross-entropy). The " +
	"effective curvature κ_eff,i = [E h²]_ii / H_ii lies between H_ii and κ_max; it grows with H_ii (γ > 1) when samples with a " +
	"large leading curvature κ_p1 (\"stiff\" samples) align their leading eigenvector u_p1 with the sharp directions of H."

// Claim C6, part 1 (science.md): with per-sample Hessians h_p = Σ_m κ_pm u_pm u_pmᵀ and
// weights w_pmi = (u_pm · v_i)² on H's eigenvectors v_i,
//
//	H_ii = E_p Σ_m κ_pm w_pmi,   [E h²]_ii = E_p Σ_m κ_pm² w_pmi,
//
// hence H_ii² <= [E h²]_ii always (Jensen, since Σ_m w_pmi <= 1) and [E h²]_ii <= κ_max H_ii
// when every h_p is PSD (cross-entropy). The effective curvature κ_eff,i = [E h²]_ii / H_ii
// sits between H_ii and κ_max; γ > 1 means κ_eff grows with H_ii, which happens when samples
// with a large leading curvature κ_p1 ("stiff" samples) put their leading eigenvector u_p1
// into the sharp directions of H.

// Tolerances of the bound checks.
const (
	// c6RelTol is the relative tolerance of an inequality lhs <= rhs (the experiment's rule):
	// violated when lhs − rhs > c6RelTol·max(|lhs|, |rhs|).
	c6RelTol = 1e-9
	// c6NullTol marks a direction as numerically null when |H_ii| <= c6NullTol·λ_max AND
	// |[E h²]_ii| <= c6NullTol·max_j [E h²]_jj: both sides are then rounding of an exact zero
	// and the relative test above is meaningless there (the sign of ±1e-21 is noise).
	c6NullTol = 1e-10
	// c6ScatterMax thins scatter plots to at most this many points (every k-th sample).
	c6ScatterMax = 5000
)

// C6Run is one trained model with everything claim C6 needs: the cached experiment result
// (stored diagonals in H's eigenbasis), the per-sample spectra of the target layer and the
// full eigendecomposition of H.
type C6Run struct {
	Label   string // "MLP/MNIST/CE"
	Loss    string
	Config  experiment.Config
	Result  *experiment.Result
	Layer   *experiment.Layer // final epoch: H, Eh2, KappaMax, Fits, Bounds (tol 1e-9)
	Factors *curv.Factors
	// Spectra holds every nonzero mode of every h_p (K = min(Classes, Dout)).
	Spectra *curv.Spectra
	// Eigenvalues (descending, bit-identical to Layer.H) and eigenvectors (D x D, columns,
	// block layout) of H.
	Eigenvalues  []float64
	Eigenvectors *mat.Dense
}

// LoadC6 runs (or loads from the cache) the MNIST MLP preset with the given loss and seed,
// loads its trained model and data, and computes the per-sample spectra and the
// eigendecomposition of H (cached on disk next to the run: the dense eigensolver is the
// slow step, about 10 s at D = 1024 with the pure-Go backend).
func LoadC6(ctx context.Context, o Options, loss string, seed uint64) (*C6Run, error) {
	c, err := c6Config(o, loss, seed)
	if err != nil {
		return nil, err
	}
	label := "MLP/MNIST/" + map[string]string{"ce": "CE", "mse": "MSE"}[loss]
	h, err := experiment.Open(c, o.Run)
	if err != nil {
		return nil, err
	}
	st, err := h.FinalState(ctx)
	if err != nil {
		return nil, fmt.Errorf("claims: C6 %s: %w", label, err)
	}
	r, l, f := st.Result, st.Layer, st.Factors
	sp, err := f.Spectra(0)
	if err != nil {
		return nil, fmt.Errorf("claims: C6 %s: per-sample spectra: %w", label, err)
	}
	run := &C6Run{Label: label, Loss: loss, Config: c, Result: r, Layer: l, Factors: f, Spectra: sp}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if run.Eigenvalues, run.Eigenvectors, err = h.Eigenbasis(l, f); err != nil {
		return nil, fmt.Errorf("claims: C6 %s: %w", label, err)
	}
	return run, nil
}

// c6Config is the MNIST MLP config of the given loss: the Fig. 3 series' config when
// PowerLawRuns has one (so claims C4-C6 share runs, and softmax+MSE gets the extra fast-preset
// epochs it needs to reach its training target), the preset otherwise.
func c6Config(o Options, loss string, seed uint64) (experiment.Config, error) {
	for _, pr := range PowerLawRuns {
		if pr.Dataset == "mnist" && pr.Model == "mlp" && pr.Loss == loss && pr.Classes == 10 {
			return PowerLawConfig(o, pr, seed)
		}
	}
	return o.Preset("mnist", "mlp", loss, 10, seed)
}

// TopVectors returns the first k eigenvectors of H (a view, D x k).
func (r *C6Run) TopVectors(k int) *mat.Dense {
	d, _ := r.Eigenvectors.Dims()
	return r.Eigenvectors.Slice(0, d, 0, min(k, d)).(*mat.Dense)
}

// C6BoundsRun is the part-1 analysis of one run.
type C6BoundsRun struct {
	Run *C6Run
	// Bounds is fit.CheckBounds with the null-direction rule on the run's diagonals.
	Bounds fit.BoundReport
	// Stored is the experiment's own bound check (relative tolerance only).
	Stored fit.BoundReport
	// KappaEffFit fits log10 κ_eff on log10 H_ii over the top-N' directions: slope = γ_AWD − 1.
	KappaEffFit    fit.Result
	KappaEffFitErr error
	// Kappa1 (κ_p1 per sample) and Align (Σ_{i<TopK} (u_p1·v_i)², the weight of the leading
	// per-sample eigenvector on H's TopK sharpest directions; TopK/D for a random vector).
	Kappa1, Align []float64
	TopK          int
	// AlignRho is Spearman ρ(κ_p1, Align) over samples with κ_p1 > 0; StiffRatio is the mean
	// alignment of the stiffest 10% of samples divided by that of the other 90%.
	AlignRho, StiffRatio float64
	// Rayleigh[p] = u_p1ᵀ H u_p1 / λ_max = Σ_i λ_i (u_p1·v_i)² / λ_max over all D directions:
	// how sharp the global landscape is along the sample's stiffest direction (in [λ_min/λ_max, 1]);
	// RayleighRho is Spearman ρ(κ_p1, Rayleigh).
	Rayleigh    []float64
	RayleighRho float64
	// Reconstruction: max relative difference, over the top-N' directions, between H_ii and
	// [E h²]_ii recomputed from the per-sample spectra and the stored diagonals.
	ReconH, ReconEh2 float64
	// Negative per-sample eigenvalues (softmax+MSE): modes with κ_pm < −c6NullTol·κ_max,
	// samples having at least one, the most negative κ divided by κ_max, and non-positive
	// eigenvalues of H. NegRounding counts negative modes at rounding level (|κ| <=
	// c6NullTol·κ_max), which cross-entropy's PSD h_p produce in their null modes.
	NegModes, NegSamples, NegH, NegRounding int
	MinKappaRel                             float64
}

// BoundsData computes the part-1 analysis for the MNIST MLP with the given loss.
func BoundsData(ctx context.Context, o Options, loss string, seed uint64) (*C6BoundsRun, error) {
	r, err := LoadC6(ctx, o, loss, seed)
	if err != nil {
		return nil, err
	}
	l := r.Layer
	out := &C6BoundsRun{Run: r, Stored: l.Bounds, TopK: r.Config.Classes}
	kmax := r.Spectra.KappaMax()
	if out.Bounds, err = fit.CheckBounds(l.H, l.Eh2, kmax, c6RelTol, c6NullTol); err != nil {
		return nil, err
	}
	ke := make([]float64, len(out.Bounds.KappaEff))
	for i, v := range out.Bounds.KappaEff {
		if !math.IsNaN(v) {
			ke[i] = v // NaN (null or H_ii <= 0) becomes 0: dropped by the fit as non-positive
		}
	}
	out.KappaEffFit, out.KappaEffFitErr = fit.LogLog(l.H, ke, fit.Options{Rule: fit.RuleV1, TopN: r.Config.NPrime})

	// Alignment of each sample's leading eigenvector with the TopK sharpest directions.
	sp := r.Spectra
	out.Kappa1 = sp.Leading()
	if out.Align, err = sp.LeadingWeight(r.TopVectors(out.TopK), 0); err != nil {
		return nil, err
	}
	kx, ay := c6Positive(out.Kappa1, out.Align)
	out.AlignRho = fit.SpearmanStat(kx, ay)
	out.StiffRatio = fit.TopRatio(kx, ay, 0.1)

	// Rayleigh quotient of H along u_p1, from the leading mode's weights on all directions
	// (N x D floats, one mode per sample).
	sp1, err := r.Factors.Spectra(1)
	if err != nil {
		return nil, err
	}
	if out.Rayleigh, err = sp1.LeadingRayleigh(r.Eigenvalues, r.Eigenvectors, 0); err != nil {
		return nil, err
	}
	_, rq := c6Positive(out.Kappa1, out.Rayleigh)
	out.RayleighRho = fit.SpearmanStat(kx, rq)

	// Reconstruction of the stored diagonals from the per-sample spectra.
	v := r.TopVectors(r.Config.NPrime)
	hh, ee, err := sp.Diagonals(v)
	if err != nil {
		return nil, err
	}
	for i := range hh {
		out.ReconH = math.Max(out.ReconH, math.Abs(hh[i]-l.H[i])/math.Abs(l.H[0]))
		out.ReconEh2 = math.Max(out.ReconEh2, math.Abs(ee[i]-l.Eh2[i])/math.Abs(l.Eh2[i]))
	}

	// Indefiniteness.
	neg := sp.Negatives(c6NullTol)
	out.NegModes, out.NegSamples, out.NegRounding, out.MinKappaRel = neg.Modes, neg.Samples, neg.Rounding, neg.MinRel
	out.NegH = l.NonPositive()
	return out, nil
}

// C6aCriteria test claim C6's first part on the runs of Bounds:
//
//	identities  H_ii² <= [E h²]_ii (Jensen, always) and, for cross-entropy's PSD h_p,
//	            [E h²]_ii <= κ_max H_ii hold in every non-null direction; the slope of
//	            κ_eff = [E h²]_ii/H_ii on H_ii is γ_AWD − 1 (it restates C4)
//	alignment   stiff samples align with sharp directions (CE): Spearman ρ(κ_p1, weight of
//	            u_p1 on H's top directions) above the 99th percentile of the same ρ with κ_p1
//	            shuffled among the samples (200 draws); control: one more shuffle
func C6aCriteria(runs []*C6BoundsRun) []Criterion {
	var out []Criterion
	rho := func(x, y []float64) float64 { return fit.SpearmanStat(x, y) }
	for _, b := range runs {
		l := b.Run.Layer
		ce := b.Run.Loss == "ce"
		kind := Reported
		if ce {
			kind = Identity
		}
		out = append(out,
			Criterion{Name: b.Run.Label + ": H_ii² ≤ [E h²]_ii", Statistic: "violations in non-null directions", Kind: kind, Sense: Below,
				Measured: Point(float64(b.Bounds.Lower.Real)), Threshold: 1, ThresholdWhy: "none (Jensen's inequality)"},
			Criterion{Name: b.Run.Label + ": [E h²]_ii ≤ κ_max H_ii (needs PSD h_p)", Statistic: "violations in non-null directions", Kind: kind, Sense: Below,
				Measured: Point(float64(b.Bounds.Upper.Real)), Threshold: 1, ThresholdWhy: "none when every h_p is PSD"},
		)
		if b.KappaEffFitErr == nil {
			out = append(out, Criterion{Name: b.Run.Label + ": slope of κ_eff is γ_AWD − 1 (restates C4)", Statistic: "|slope − (γ_AWD − 1)|",
				Kind: kind, Sense: Below, Measured: Point(math.Abs(b.KappaEffFit.Slope - (l.Gamma(experiment.MatEh2.V1()) - 1))), Threshold: 1e-6, ThresholdWhy: "rounding"})
		}
		if !ce {
			continue
		}
		kx, ay := c6Positive(b.Kappa1, b.Align)
		th := fit.Percentile(fit.PermutationNull(kx, ay, rho, 200, b.Run.Config.Seed), 99)
		control := fit.PermutationNull(kx, ay, rho, 1, b.Run.Config.Seed+1)[0]
		out = append(out, Criterion{Name: b.Run.Label + ": stiff samples align with sharp directions", Statistic: fmt.Sprintf("ρ(κ_p1, Σ_{i≤%d} (u_p1·v_i)²)", b.TopK),
			Kind: Core, Sense: Above, Measured: Point(b.AlignRho), Threshold: th, ThresholdWhy: "99th percentile of 200 shuffles of κ_p1",
			ControlName: "κ_p1 shuffled once more", Control: ptr(Point(control))})
	}
	return out
}

// BoundsRuns lists the losses Bounds analyses (the MNIST MLP of the fast and paper presets).
var BoundsRuns = []string{"ce", "mse"}

// Bounds checks claim C6, part 1: the two bounds H_ii² <= [E h²]_ii <= κ_max H_ii, the
// effective curvature κ_eff = [E h²]_ii/H_ii against H_ii, the distribution of the leading
// per-sample curvature κ_p1 and whether stiff samples align with sharp directions, on the
// MNIST MLP with cross-entropy and with softmax+MSE (indefinite per-sample Hessians).
func Bounds(ctx context.Context, o Options) (*Report, error) {
	seed := o.seeds()[0]
	var runs []*C6BoundsRun
	for _, loss := range BoundsRuns {
		b, err := BoundsData(ctx, o, loss, seed)
		if err != nil {
			return nil, fmt.Errorf("claims: C6a: %w", err)
		}
		runs = append(runs, b)
	}
	return BoundsReport(runs, o)
}

// BoundsReport builds the report of claim C6 part 1 from analysed runs.
func BoundsReport(runs []*C6BoundsRun, o Options) (*Report, error) {
	rep := newReport(o, "C6a", "Bounds H_ii² ≤ [E h²]_ii ≤ κ_max H_ii and stiff samples", "05_bounds_spectra.ipynb", c6aStatement)
	if o.Paper {
		rep.Statement += " (Paper preset.)"
	}
	var keff, lines []viz.XYSeries
	var hist []viz.HistSeries
	for _, b := range runs {
		ks := viz.XYSeries{Name: b.Run.Label, X: b.Run.Layer.H, Y: b.Bounds.KappaEff, Mask: true}
		if b.KappaEffFitErr == nil {
			ks.Fit = viz.FitLine(b.KappaEffFit, b.Run.Layer.H)
		}
		keff = append(keff, ks)
	}
	var figs viz.Figures
	figs.Add(viz.LogLog(viz.LogLogSpec{Title: "Effective curvature κ_eff = [E h²]_ii / H_ii vs H_ii (fit: top N')", XName: "H_ii", YName: "κ_eff",
		Series: keff, Guides: []float64{0, 1}}))
	for _, b := range runs {
		r, l := b.Run, b.Run.Layer
		acc := r.Result.History.FinalTrainAcc()
		pre := r.Label + ": "
		rep.Rows = append(rep.Rows,
			Row{Quantity: pre + "setup", Measured: fmt.Sprintf("D %d, N %d, N' %d, train acc %.4f", l.D, r.Result.N, r.Config.NPrime, acc),
				Paper: map[string]string{"ce": "100% train acc", "mse": "> 95% train acc"}[r.Loss]},
			Row{Quantity: pre + "κ_max = max_p κ_p1", Measured: fmt.Sprintf("%.4g", r.Spectra.KappaMax()), Paper: "",
				Note: fmt.Sprintf("λ_max(H) = %.4g", l.H[0])},
			Row{Quantity: pre + "null directions", Measured: fmt.Sprintf("%d of %d", b.Bounds.NullDirs, l.D), Paper: "",
				Note: fmt.Sprintf("|H_ii| ≤ %.0e λ_max and |[E h²]_ii| ≤ %.0e of its max; raw bound failures there have |H_ii| ≤ %.1e λ_max", c6NullTol, c6NullTol, math.Max(b.Bounds.Lower.NullMaxH, b.Bounds.Upper.NullMaxH))},
			Row{Quantity: pre + "lower bound H_ii² ≤ [E h²]_ii: failures", Measured: fmt.Sprintf("%d (raw %d, null %d)", b.Bounds.Lower.Real, b.Bounds.Lower.Count, b.Bounds.Lower.Null),
				Paper: "0 (always)", Note: fmt.Sprintf("stored check (rel. tol %g): %d", b.Stored.Tol, b.Stored.Lower.Count)},
			Row{Quantity: pre + "upper bound [E h²]_ii ≤ κ_max H_ii: failures", Measured: fmt.Sprintf("%d (raw %d, null %d)", b.Bounds.Upper.Real, b.Bounds.Upper.Count, b.Bounds.Upper.Null),
				Paper: map[string]string{"ce": "0 (PSD h_p)", "mse": "may fail (indefinite h_p)"}[r.Loss],
				Note:  fmt.Sprintf("stored check (rel. tol %g): %d; %s", b.Stored.Tol, b.Stored.Upper.Count, c6WhereFails(b.Bounds.Upper))},
			Row{Quantity: pre + "reconstruction from per-sample spectra", Measured: fmt.Sprintf("H %.1e, E h² %.1e", b.ReconH, b.ReconEh2), Paper: "exact",
				Note: "max rel. difference vs the stored diagonals, top N' directions"},
		)
		pos, _ := c6Positive(b.Kappa1, b.Kappa1)
		if len(pos) > 0 {
			rep.Rows = append(rep.Rows, Row{Quantity: pre + "κ_p1 quantiles 10/50/90%", Measured: fmt.Sprintf("%.2g / %.2g / %.2g", fit.Percentile(pos, 10), fit.Percentile(pos, 50), fit.Percentile(pos, 90)),
				Paper: "heavy-tailed", Note: fmt.Sprintf("%d of %d samples with κ_p1 > 0; max/median %.2g", len(pos), len(b.Kappa1), r.Spectra.KappaMax()/fit.Percentile(pos, 50))})
		}
		rep.Rows = append(rep.Rows, Row{Quantity: pre + "ρ(κ_p1, u_p1ᵀ H u_p1 / λ_max)", Measured: fmt.Sprintf("%.3f", b.RayleighRho), Paper: "> 0",
			Note: fmt.Sprintf("median Rayleigh quotient %.3g (stiffest 10%%: %.3g); stiffest 10%% align %.2f× more with H's top %d than the rest (random vector: %.3g)",
				fit.Percentile(b.Rayleigh, 50), fit.TopMean(b.Kappa1, b.Rayleigh, 0.1), b.StiffRatio, b.TopK, float64(b.TopK)/float64(l.D))})
		if r.Loss != "ce" || b.NegModes > 0 {
			rep.Rows = append(rep.Rows, Row{Quantity: pre + "negative per-sample eigenvalues", Measured: fmt.Sprintf("%d modes in %d of %d samples", b.NegModes, b.NegSamples, r.Spectra.N),
				Paper: map[string]string{"ce": "none (PSD)", "mse": "some (indefinite Q_p)"}[r.Loss],
				Note:  fmt.Sprintf("most negative κ / κ_max = %.2g; %d eigenvalues of H ≤ 0", b.MinKappaRel, b.NegH)})
		}

		// Figures.
		hsq := make([]float64, len(l.H))
		kh := make([]float64, len(l.H))
		for i, h := range l.H {
			hsq[i], kh[i] = h*h, r.Spectra.KappaMax()*h
		}
		figs.Add(viz.LogLog(viz.LogLogSpec{Title: r.Label + ": H_ii² ≤ [E h²]_ii ≤ κ_max H_ii", XName: "H_ii", YName: "value", Guides: []float64{},
			Series: []viz.XYSeries{{Name: "[E h²]_ii", X: l.H, Y: l.Eh2, Mask: true},
				{Name: "H_ii² (lower bound)", X: l.H, Y: hsq, Mask: true}, {Name: "κ_max H_ii (upper bound)", X: l.H, Y: kh, Mask: true}}}))
		hist = append(hist, viz.HistSeries{Name: r.Label, Values: pos})
		if r.Loss == "ce" {
			idx := viz.Thin(len(b.Kappa1), c6ScatterMax)
			figs.Add(viz.LogLog(viz.LogLogSpec{Title: r.Label + ": stiff samples align with sharp directions", XName: "κ_p1 (leading curvature of h_p)",
				YName: fmt.Sprintf("Σ_{i≤%d} (u_p1·v_i)²", b.TopK), Guides: []float64{},
				Series: []viz.XYSeries{{Name: "samples", X: viz.Pick(b.Kappa1, idx), Y: viz.Pick(b.Align, idx), Mask: true}}}))
		}
		kx, ay := c6Positive(b.Kappa1, b.Align)
		mx, my := viz.BinnedMeans(kx, ay, 10)
		lines = append(lines, viz.XYSeries{Name: r.Label, X: mx, Y: my})
	}
	figs.Add(viz.Histogram(viz.HistogramSpec{Title: "Leading per-sample curvature κ_p1 (log bins, κ_p1 > 0)", XName: "κ_p1", LogBins: true, LogCounts: true, Series: hist}))
	figs.Add(viz.Lines(viz.LineSpec{Title: "Mean alignment with the top directions of H per decile of κ_p1", XName: "κ_p1 (decile median)",
		YName: "mean Σ_{i≤C} (u_p1·v_i)²", LogX: true, Series: lines, Symbols: true}))
	var err error
	if rep.Figures, err = figs.Result(); err != nil {
		return nil, fmt.Errorf("claims: C6a figure: %w", err)
	}
	rep.Criteria = C6aCriteria(runs)
	rep.decide()
	return rep, nil
}

// c6Positive returns κ_p1 and y_p over the samples with κ_p1 > 0.
func c6Positive(kappa1, y []float64) (kx, ky []float64) {
	for p, k := range kappa1 {
		if k > 0 {
			kx, ky = append(kx, k), append(ky, y[p])
		}
	}
	return kx, ky
}

// c6WhereFails describes the genuine failures of a bound: the worst relative excess and how
// far down the spectrum they sit.
func c6WhereFails(c fit.BoundViolations) string {
	if c.Real == 0 {
		return "no genuine failure"
	}
	return fmt.Sprintf("worst genuine excess %.3g, all at H_ii ≤ %.2g λ_max", c.WorstReal, c.RealMaxH)
}
