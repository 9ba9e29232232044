package claims

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// c1Statement is the claim C1 in one paragraph: the chain H = GGN = F = EF ∝ C and its conditions.
const c1Statement = "Claim C1: the common statement C ∝ H rests on a chain H = GGN = F = EF ∝ C, each link of which needs a " +
	"condition. h_p = J_pᵀ Q_p J_p (Gauss-Newton) + Σ_c (∂l_p/∂z_c) ∇²z_c (residual); the true Fisher " +
	"F = E_p Σ_c p_c g_p(c) g_p(c)ᵀ equals the GGN only for NLL losses with canonical link (softmax cross-entropy), " +
	"not for softmax+MSE whose logit Hessian Q_p is indefinite; the empirical Fisher EF = E_p[g_p g_pᵀ] (true labels) " +
	"equals F only for a well-specified model; and C = (EF − g gᵀ)/B subtracts the mean gradient. Near convergence, " +
	"with ε = 1 − p_y, the Gauss-Newton term scales like ε while g_p g_pᵀ scales like ε²: curvature enters the noise " +
	"squared, so C_ii ∝ H_ii^γ with γ > 1 rather than γ = 1."

// Claim C1: "C is proportional to H" rests on Fisher = Hessian, which needs restrictive
// conditions. With J_p = dz_p/dθ (logit Jacobian) and Q_p = ∂²l_p/∂z² (logit Hessian),
//
//	h_p = J_pᵀ Q_p J_p + Σ_c (∂l_p/∂z_c) ∇²z_c            (Gauss-Newton + residual)
//	GGN = E_p[J_pᵀ Q_p J_p]
//	F   = E_p Σ_c p_c g_p(c) g_p(c)ᵀ                       (true Fisher, labels ~ model)
//	EF  = E_p[g_p g_pᵀ]                                     (empirical Fisher, true labels)
//	C   = (EF − g gᵀ)/B                                     (Eq. 2)
//
// Each link of H = GGN = F = EF ∝ C is tested separately on the trained target layer:
// (a) residual H − GGN (zero for piecewise-linear networks, not for tanh), (b) F = GGN only
// for cross-entropy (canonical link: Σ_c p_c (p−e_c)(p−e_c)ᵀ = diag p − p pᵀ = Q_p), not for
// softmax+MSE whose Q_p is indefinite, (c) EF vs F, (d) C vs EF (the mean gradient),
// (e) the per-sample scaling near convergence, and (f) γ = 1 (what C ∝ H would give) vs the
// measured γ.
//
// Derivation behind (e), cross-entropy, one sample with ε = 1 − p_y (small):
//
//	G_p = p − e_y:  |G_p|² = ε² + Σ_{c≠y} p_c²  ∈ [ε², 2ε²]
//	Q_p = diag p − p pᵀ:  tr Q_p = 1 − Σ_c p_c² = 2ε − ε² − Σ_{c≠y} p_c²  ∈ [ε − ε², 2ε]
//
// and g_p = J_pᵀ G_p, tr h_p = tr(J_pᵀ Q_p J_p), so at fixed Jacobian |g_p|² ∝ ε² while
// tr h_p ∝ ε: the curvature enters the noise squared, |g_p|² ∝ (tr h_p)². We test the
// logit-level ratios exactly (|G|²/ε² ∈ [1, 2], tr Q/ε ∈ [1−ε, 2]) and the layer-level
// log-log slopes across samples (|g_p|² vs ε: 2; tr h_p vs ε: 1; |g_p|² vs tr h_p: 2), on the
// samples with ε ≤ c1EpsMax. For softmax+MSE both G and Q pick up one more factor of the
// softmax Jacobian (∝ ε): |g_p|² ∝ ε⁴, tr h_p ∝ ε², so again |g_p|² ∝ (tr h_p)².

// C1 thresholds (all relative errors are Frobenius: |A − B|_F / |B|_F).
const (
	c1ExactTol     = 1e-10 // "exactly equal": relative error below this
	c1EpsMax       = 0.1   // per-sample fits use the samples with 1 − p_y <= c1EpsMax
	c1Probes       = 8     // random probe vectors for the residual check
	c1TanhPerClass = 50    // the tanh variant's training subset (HVP route, D passes)
	c1MinNear      = 100   // fewer near-converged samples than this: fit the lowest-ε quartile
)

// FisherLoss is everything claim C1 measures on one trained model (one loss).
type FisherLoss struct {
	Loss   string
	Config experiment.Config
	Result *experiment.Result
	Layer  *experiment.Layer // final epoch: eigenvalues and diagonals of H, C, F, EF, ...
	N, D   int

	// Dense comparisons of H, F and EF (Frobenius; H = GGN exactly on this ReLU network).
	curv.FisherChain
	// MeanGradDir is the median over the top-N' directions of (g·v_i)² / EF_ii = 1 − B C_ii/EF_ii.
	MeanGradDir float64
	NegH        int // eigenvalues of H <= 0
	// Residual probes: |(H_hvp − GGN) v| / |H_hvp v| for random v (H by exact per-sample HVPs,
	// GGN from the Kronecker factors: two independent routes).
	Probes []float64

	// Per sample: ε_p = 1 − p_y, |g_p|², tr h_p (= tr GGN_p, exact here), the logit-level
	// |G_p|² and tr Q_p, and λ_min(Q_p)/λ_max(Q_p); QIndefFrac is the fraction of samples
	// whose logit Hessian Q_p is indefinite.
	curv.PerSample
	QIndefFrac float64
	// The per-sample log-log slopes over the samples near convergence (c1EpsMax, c1MinNear).
	curv.Scaling
	Seconds float64
}

// FisherTanh is the residual check on a small tanh network (HVP route).
type FisherTanh struct {
	Config     experiment.Config
	N, D       int
	RelResid   float64 // |H − GGN|_F / |H|_F, H by D exact HVP passes
	TrResid    float64 // tr(H − GGN) / tr H
	Probes     []float64
	TrainAcc   float64
	Seconds    float64
	HVPSeconds float64
}

// FisherData measures one loss ("ce" or "mse") of the MNIST MLP preset for claim C1.
func FisherData(ctx context.Context, o Options, seed uint64, loss string) (*FisherLoss, error) {
	start := time.Now()
	c, err := o.Preset("mnist", "mlp", loss, 10, seed)
	if err != nil {
		return nil, err
	}
	h, err := experiment.Open(c, o.Run)
	if err != nil {
		return nil, err
	}
	st, err := h.FinalState(ctx)
	if err != nil {
		return nil, fmt.Errorf("claims: C1: %w", err)
	}
	set, err := h.Data()
	if err != nil {
		return nil, err
	}
	res, layer, p, f := st.Result, st.Layer, st.Problem, st.Factors
	out := &FisherLoss{Loss: loss, Config: c, Result: res, Layer: layer, N: f.N, D: f.D}

	if out.FisherChain, err = curv.CompareFisher(p); err != nil {
		return nil, err
	}
	out.MeanGradDir = curv.MeanGradShare(layer.EF, layer.C, c.Batch, c.NPrime)
	out.NegH = layer.NonPositive()
	if out.Probes, err = curv.ResidualProbes(p, c1Probes, seed); err != nil {
		return nil, err
	}

	// Per-sample scaling and logit Hessians.
	if out.PerSample, err = f.PerSample(set.Labels); err != nil {
		return nil, fmt.Errorf("claims: C1: %w", err)
	}
	out.QIndefFrac = float64(out.QIndefinite) / float64(f.N)
	out.Scaling = out.FitScaling(c1EpsMax, c1MinNear)
	out.Seconds = time.Since(start).Seconds()
	return out, nil
}

// FisherTanhConfig is the tanh variant: the fast (or paper) MNIST MLP cross-entropy cell
// with tanh activations on c1TanhPerClass samples per class, so that the residual can be
// formed densely by D exact HVP passes.
func FisherTanhConfig(o Options, seed uint64) (experiment.Config, error) {
	c, err := o.Preset("mnist", "mlp", "ce", 10, seed)
	if err != nil {
		return c, err
	}
	c.Act = "tanh"
	c.PerClass = min(c.PerClass, c1TanhPerClass)
	c.Checkpoints = nil
	return c, nil
}

// FisherTanhData trains (cached) the tanh variant and measures its residual H − GGN.
func FisherTanhData(ctx context.Context, o Options, seed uint64) (*FisherTanh, error) {
	start := time.Now()
	c, err := FisherTanhConfig(o, seed)
	if err != nil {
		return nil, err
	}
	h, err := experiment.Open(c, o.Run)
	if err != nil {
		return nil, err
	}
	tr, err := h.Trained(ctx)
	if err != nil {
		return nil, err
	}
	p, err := h.Problem(ctx, experiment.FinalEpoch)
	if err != nil {
		return nil, err
	}
	out := &FisherTanh{Config: c, N: p.N()}
	out.TrainAcc = tr.History.FinalTrainAcc()
	g, err := curv.CompareGaussNewton(p) // not piecewise linear: D exact HVP passes
	if err != nil {
		return nil, err
	}
	out.D, out.RelResid, out.TrResid, out.HVPSeconds = g.D, g.Rel, g.Tr, g.HSeconds
	if out.Probes, err = curv.ResidualProbes(p, c1Probes, seed); err != nil {
		return nil, err
	}
	out.Seconds = time.Since(start).Seconds()
	return out, nil
}

// Fisher checks claim C1 on the MNIST MLP presets (cross-entropy and softmax+MSE) and a small
// tanh variant: where H, GGN, the residual, the true and empirical Fisher and C agree, and
// where they part.
func Fisher(ctx context.Context, o Options) (*Report, error) {
	rep := newReport(o, "C1", "Fisher vs Hessian: why C ∝ H fails", "01_fisher_hessian.ipynb", c1Statement)
	seed := o.seeds()[0]
	var losses []*FisherLoss
	for _, l := range []string{"ce", "mse"} {
		fl, err := FisherData(ctx, o, seed, l)
		if err != nil {
			return nil, err
		}
		losses = append(losses, fl)
	}
	th, err := FisherTanhData(ctx, o, seed)
	if err != nil {
		return nil, err
	}
	ce, mse := losses[0], losses[1]
	rep.Rows = c1Rows(ce, mse, th)
	figs, err := c1Figures(ce, mse, th)
	if err != nil {
		return nil, fmt.Errorf("claims: C1 figures: %w", err)
	}
	rep.Figures = figs
	var ls []*experiment.Layer
	for _, r := range append([]*experiment.Result{ce.Result}, withCachedSeeds(o, func(seed uint64) (experiment.Config, error) { c := ce.Config; c.Seed = seed; return c, nil })...) {
		if l, err := r.Final(""); err == nil {
			ls = append(ls, l)
		}
	}
	rep.Criteria = C1Criteria(ce, mse, th, GammaOf(ls, experiment.MatC.V1(), ce.Config.NPrime), GammaOf(ls, experiment.MatF.V1(), ce.Config.NPrime))
	rep.decide()
	return rep, nil
}

// C1Criteria are the links of the chain that the claim says break, each with a control
// where the link holds:
//
//	(a) tanh's residual H − GGN is not 0               control: the ReLU network's residual
//	(b) softmax+MSE's F differs from H                  control: cross-entropy's F − H
//	(e) per sample, |g_p|² grows one power of ε faster than tr h_p (near convergence)
//	                                                    control: ε shuffled among the samples
//	(f) γ_C > 1: C is not ∝ H                           control: γ_F of the true Fisher
//
// The links that hold by construction (ReLU's residual is 0, F = H for cross-entropy) are
// identities; (c) EF ≠ F and (d) the mean gradient are reported.
func C1Criteria(ce, mse *FisherLoss, th *FisherTanh, gammaC, gammaF Gamma) []Criterion {
	relu := Point(math.Max(fit.Max(ce.Probes), fit.Max(mse.Probes)))
	scaling := func(eps, g2, tr []float64) Estimate {
		fg, err1 := fit.LogLog(eps, g2, fit.Options{})
		ft, err2 := fit.LogLog(eps, tr, fit.Options{})
		if err1 != nil || err2 != nil {
			return Point(math.NaN())
		}
		d := fg.Slope - ft.Slope
		se := 2 * math.Hypot(fg.SlopeSE, ft.SlopeSE)
		return Estimate{Value: d, Lo: d - se, Hi: d + se, Band: "±2 OLS standard errors"}
	}
	eps, g2, tr := ce.Window(ce.EpsWindow)
	shuffled := append([]float64(nil), eps...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	return []Criterion{
		{Name: "(a) the Gauss-Newton residual vanishes for ReLU", Statistic: "max |(H − GGN)v| / |Hv|", Kind: Identity, Sense: Below,
			Measured: relu, Threshold: 1e-10, ThresholdWhy: "rounding"},
		{Name: "(a) the residual does not vanish for tanh", Statistic: "|H − GGN|_F / |H|_F", Kind: Core, Sense: Above,
			Measured: Point(th.RelResid), Threshold: 0.01, ThresholdWhy: "1%, 13 orders above rounding",
			ControlName: "the ReLU network", Control: &relu},
		{Name: "(b) F = H for cross-entropy (canonical link)", Statistic: "|F − H|_F / |H|_F", Kind: Identity, Sense: Below,
			Measured: Point(ce.RelFH), Threshold: 1e-10, ThresholdWhy: "rounding"},
		{Name: "(b) F ≠ H for softmax+MSE", Statistic: "|F − H|_F / |H|_F", Kind: Core, Sense: Above,
			Measured: Point(mse.RelFH), Threshold: 0.01, ThresholdWhy: "1%",
			ControlName: "cross-entropy", Control: ptr(Point(ce.RelFH))},
		{Name: "(c) EF ≠ F (cross-entropy)", Statistic: "|EF − F|_F / |F|_F", Kind: Reported, Measured: Point(ce.RelEFF)},
		{Name: "(d) the mean gradient is small (cross-entropy)", Statistic: "|g gᵀ|_F / |EF|_F", Kind: Reported, Measured: Point(ce.MeanGrad)},
		{Name: "(e) curvature enters the noise squared (per sample, CE)", Statistic: "fmtSlope(|g_p|² vs ε, 2) − fmtSlope(tr h_p vs ε, 2)", Kind: Core, Sense: Above,
			Measured: scaling(eps, g2, tr), Threshold: 0.5, ThresholdWhy: "half the predicted 2 − 1",
			ControlName: "ε shuffled among the samples", Control: ptr(scaling(shuffled, g2, tr))},
		{Name: "(f) C is not ∝ H (CE)", Statistic: "γ_C − 1", Kind: Core, Sense: Above,
			Measured: shift(gammaC.Estimate(), -1), Threshold: superlinearMin, ThresholdWhy: "as C4",
			ControlName: "the true Fisher F (= H for CE)", Control: ptr(shift(gammaF.Estimate(), -1))},
	}
}

func c1Rows(ce, mse *FisherLoss, th *FisherTanh) []Row {
	g := func(v float64) string { return fmtDigits(v, 3) }
	var rows []Row
	rows = append(rows,
		Row{"final training accuracy, CE / MSE", fmt.Sprintf("%.4f / %.4f", ce.Result.History.FinalTrainAcc(), mse.Result.History.FinalTrainAcc()), "CE 100%, MSE > 95%",
			"below the paper's target the numbers describe a model far from convergence"},
		Row{"(a) tr(H−GGN)/tr H, tanh net", g(th.TrResid), "≠ 0", fmt.Sprintf("N = %d, D = %d, %d HVP passes in %.0f s; median probe ratio %.3g", th.N, th.D, th.D, th.HVPSeconds, fit.Median(th.Probes))},
		Row{"(b) |F−H|_F/|H|_F, softmax+MSE", g(mse.RelFH), "≠ 0", fmt.Sprintf("%.1f%% of samples have indefinite Q_p; H has %d eigenvalues ≤ 0", 100*mse.QIndefFrac, mse.NegH)},
		Row{"(c) |EF−F|_F/|F|_F, CE / MSE", g(ce.RelEFF) + " / " + g(mse.RelEFF), "≠ 0 unless well specified", fmt.Sprintf("tr EF/tr F = %.3g / %.3g", ce.TrEFF, mse.TrEFF)},
		Row{"(c) γ of EF_ii vs H_ii (v1), CE / MSE", g(ce.Layer.Gamma(experiment.MatEF.V1())) + " / " + g(mse.Layer.Gamma(experiment.MatEF.V1())), "> 1", "γ of F: " + g(ce.Layer.Gamma(experiment.MatF.V1())) + " / " + g(mse.Layer.Gamma(experiment.MatF.V1()))},
		Row{"(d) |g gᵀ|_F/|EF|_F, CE / MSE", g(ce.MeanGrad) + " / " + g(mse.MeanGrad), "≈ 0 at convergence", fmt.Sprintf("median top-N' (g·v_i)²/EF_ii: %.2g / %.2g", ce.MeanGradDir, mse.MeanGradDir)},
		Row{fmt.Sprintf("(e) CE slope log|g_p|² vs log ε (ε ≤ %.2g)", ce.EpsWindow), fmtSlope(ce.FitG2Eps, 2), "2", fmt.Sprintf("%d of %d samples; |G|²/ε² ∈ [%.2f, %.2f]", ce.NearConv, ce.N, ce.G2EpsRange[0], ce.G2EpsRange[1])},
		Row{"(e) CE slope log tr h_p vs log ε", fmtSlope(ce.FitTrEps, 2), "1", fmt.Sprintf("tr Q/ε ∈ [%.2f, %.2f]", ce.TrQEpsRange[0], ce.TrQEpsRange[1])},
		Row{"(e) CE slope log|g_p|² vs log tr h_p", fmtSlope(ce.FitG2Tr, 2), "2", "curvature enters the noise squared"},
		Row{"(e) MSE slopes |g|² vs ε, tr h vs ε, |g|² vs tr h", fmt.Sprintf("%.2f, %.2f, %.2f", mse.FitG2Eps.Slope, mse.FitTrEps.Slope, mse.FitG2Tr.Slope), "4, 2, 2 (asymptotic)", fmt.Sprintf("%d samples with ε ≤ %.2g (%s)", mse.NearConv, mse.EpsWindow, c1WindowNote(mse.EpsWindow))},
		Row{"(f) measured γ_C (v1), CE / MSE", g(ce.Layer.Gamma(experiment.MatC.V1())) + " / " + g(mse.Layer.Gamma(experiment.MatC.V1())), "CE up to ~1.4, MSE ≈ 1", fmt.Sprintf("N' = %d", ce.Config.NPrime)},
	)
	return rows
}

func c1WindowNote(w float64) string {
	if w == c1EpsMax {
		return "near convergence"
	}
	return "lowest-ε quartile: the model is not near convergence"
}

// c1Figures: diagonals vs H_ii for both losses, per-sample scaling, logit-Hessian
// indefiniteness, residual probes.
func c1Figures(ce, mse *FisherLoss, th *FisherTanh) ([]*viz.Figure, error) {
	var figs viz.Figures
	for _, fl := range []*FisherLoss{ce, mse} {
		l := fl.Layer
		nP := min(fl.Config.NPrime, len(l.H))
		var ss []viz.XYSeries
		for _, q := range []struct {
			key  experiment.FitKey
			name string
			y    []float64
		}{{experiment.MatF.V1(), "true Fisher F_ii", l.F}, {experiment.MatEF.V1(), "empirical Fisher EF_ii", l.EF}, {experiment.MatC.V1(), "C_ii (Eq. 2)", l.C}} {
			s := viz.XYSeries{Name: q.name, X: l.H, Y: q.y, Mask: true}
			if r, ok := l.Fit(q.key); ok && nP > 0 && l.H[nP-1] > 0 {
				s.Fit = viz.FitOver(r, l.H[nP-1], l.H[0])
			}
			ss = append(ss, s)
		}
		figs.Add(viz.LogLog(viz.LogLogSpec{Title: fmt.Sprintf("C1: diagonals in H's eigenbasis vs H_ii (%s, fit over top %d)", fl.Config.Name(), nP),
			XName: "H_ii", YName: "A_ii", Series: ss}))
	}
	// Per-sample scaling, CE.
	var ss []viz.XYSeries
	for _, q := range []struct {
		name string
		y    []float64
		r    fit.Result
	}{{"|g_p|²", ce.G2, ce.FitG2Eps}, {"tr h_p", ce.TrH, ce.FitTrEps}} {
		ss = append(ss, viz.XYSeries{Name: q.name, X: ce.Eps, Y: q.y, Mask: true, Fit: viz.FitOver(q.r, 0, ce.EpsWindow)})
	}
	figs.Add(viz.LogLog(viz.LogLogSpec{Title: "C1 (e): per-sample |g_p|² and tr h_p vs ε = 1 − p_y (" + ce.Config.Name() + ", fit ε ≤ " + fmtDigits(ce.EpsWindow, 2) + ")",
		XName: "ε = 1 − p_y", YName: "per-sample value", Series: ss}))
	// |g_p|² vs tr h_p, both losses.
	ss = nil
	for _, fl := range []*FisherLoss{ce, mse} {
		ss = append(ss, viz.XYSeries{Name: "|g_p|² vs tr h_p, " + fl.Loss, X: fl.TrH, Y: fl.G2, Mask: true, Fit: viz.FitOver(fl.FitG2Tr, 0, 0)})
	}
	figs.Add(viz.LogLog(viz.LogLogSpec{Title: "C1 (e): per-sample gradient energy vs per-sample curvature (fits on the ε windows of the table)",
		XName: "tr h_p", YName: "|g_p|²", Series: ss}))
	// Logit-Hessian indefiniteness (MSE; CE's Q_p is PSD).
	var hs []viz.HistSeries
	for _, fl := range []*FisherLoss{mse, ce} {
		hs = append(hs, viz.HistSeries{Name: "λ_min(Q_p)/λ_max(Q_p), " + fl.Loss, Values: fl.QMinRatio})
	}
	figs.Add(viz.Histogram(viz.HistogramSpec{Title: "C1 (b): logit Hessians Q_p are indefinite for softmax+MSE, PSD for CE",
		XName: "λ_min / λ_max of Q_p", Series: hs, Bins: 40, LogCounts: true, FullRange: true}))
	// Residual probes.
	probe := func(name string, v []float64) viz.XYSeries { return viz.XYSeries{Name: name, Y: v, Mask: true} } // x = 1, 2, ...
	figs.Add(viz.Lines(viz.LineSpec{Title: "C1 (a): residual |(H − GGN) v| / |H v| on random probes",
		XName: "probe", YName: "relative residual", LogY: true, Symbols: true,
		Series: []viz.XYSeries{probe("ReLU, CE", ce.Probes), probe("ReLU, MSE", mse.Probes), probe("tanh, CE", th.Probes)},
		Refs:   []viz.RefLine{{Y: c1ExactTol, Label: "exactness threshold"}}}))
	return figs.Result()
}
