package claims

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/nn"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// v2 layer-wise exponents: in the deeper MNIST MLP 784-50-50-50-50-10 (cross-entropy) every
// hidden-to-hidden weight matrix has its own power law C_ii ∝ H_ii^γ_l, with layer-dependent
// exponents bounded by 1 ≤ γ_l ≤ 2, fitted with the v2 rule (sort by H_ii, drop points below
// the 5th percentile of either log, fit the top 80% of the rest).

// LayerWiseJointPerClass and LayerWiseJointTopK size the joint-block exploration: the joint
// Hessian of two adjacent layers (D = 2 · 32² = 2048 on the fast preset) is not Kronecker
// factorized, so it goes through exact Hessian-vector products: Lanczos for its top-K
// eigenpairs and one per-sample HVP pass per direction for [E_p h_p²]_ii, on a balanced
// subset of LayerWiseJointPerClass samples per class.
var (
	LayerWiseJointPerClass = 100
	LayerWiseJointTopK     = 100
)

// LayerWiseConfig is the v2 run under o: experiment.LayerWise (fast: experiment.Fast of it,
// hidden widths 32, D = 1024 per layer, targets fc2, fc3, fc4).
func LayerWiseConfig(o Options, seed uint64) experiment.Config {
	c := experiment.LayerWise(seed)
	if !o.Paper {
		c = experiment.Fast(c)
	}
	return c
}

// LayerFits is one target layer's exponents over seeds.
type LayerFits struct {
	Target string
	D      int
	// Gammas by fit key ("C/v2", "Eh2/v2", "C/v1", "Eh2/v1", "Covar/v2", ...) over seeds.
	Gammas map[experiment.FitKey][]float64
	// First is the layer of the first seed (diagonals for plots).
	First *experiment.Layer
}

// Gamma summarises fit key over seeds.
func (l *LayerFits) Gamma(key experiment.FitKey) fit.Summary { return fit.Aggregate(l.Gammas[key]) }

var lwKeys = []experiment.FitKey{experiment.MatC.V2(), experiment.MatEh2.V2(), experiment.MatCovar.V2(), experiment.MatC.V1(), experiment.MatEh2.V1(), experiment.MatCovar.V1()}

// LayerWiseData runs (or loads) the v2 run for every seed and collects the per-layer fits.
func LayerWiseData(ctx context.Context, o Options) ([]*LayerFits, *experiment.Result, error) {
	var layers []*LayerFits
	var first *experiment.Result
	for si, seed := range o.seeds() {
		c := LayerWiseConfig(o, seed)
		r, err := experiment.Run(ctx, c, o.Run)
		if err != nil {
			return nil, nil, fmt.Errorf("claims: v2 layer-wise seed %d: %w", seed, err)
		}
		if si == 0 {
			first = r
		}
		for ti, target := range c.Targets {
			l, err := r.Final(target)
			if err != nil {
				return nil, nil, err
			}
			if si == 0 {
				layers = append(layers, &LayerFits{Target: target, D: l.D, Gammas: map[experiment.FitKey][]float64{}, First: l})
			}
			for _, k := range lwKeys {
				layers[ti].Gammas[k] = append(layers[ti].Gammas[k], l.Gamma(k))
			}
		}
	}
	return layers, first, nil
}

// LayerPanel draws diagonal key's matrix against H_ii for several layers in one log-log
// panel, each series shifted down by gap decades from the previous one, with its fit.
func LayerPanel(title, yName string, key experiment.FitKey, layers []*experiment.Layer, names []string, nPrime int, gap float64) (*viz.Figure, error) {
	var series []viz.XYSeries
	for i, l := range layers {
		f, err := l.Refit(key, nPrime)
		if err != nil {
			return nil, fmt.Errorf("claims: %s %s: %w", names[i], key, err)
		}
		y := l.Diagonal(key.Matrix)
		series = append(series, viz.XYSeries{Name: names[i], X: l.H, Y: y, Mask: true, Offset: -gap * float64(i), Fit: viz.FitLine(f, l.H)})
	}
	return viz.LogLog(viz.LogLogSpec{Title: title, XName: "H_ii (eigenvalue of H)", YName: yName, Series: series})
}

// LayerGammaFigure draws γ per layer for the v2 and v1 rules (means over seeds).
func LayerGammaFigure(layers []*LayerFits) (*viz.Figure, error) {
	var series []viz.XYSeries
	for _, k := range []struct {
		key  experiment.FitKey
		name string
	}{
		{experiment.MatC.V2(), "γ_emp (C, v2)"}, {experiment.MatEh2.V2(), "γ_AWD (E h², v2)"}, {experiment.MatC.V1(), "γ_emp (C, v1)"}, {experiment.MatEh2.V1(), "γ_AWD (E h², v1)"},
	} {
		var x, y []float64
		for i, l := range layers {
			if g := l.Gamma(k.key); g.N > 0 {
				x = append(x, float64(i+2)) // fc2 is the first hidden-to-hidden layer
				y = append(y, g.Mean)
			}
		}
		if len(x) > 0 {
			series = append(series, viz.XYSeries{Name: k.name, X: x, Y: y})
		}
	}
	if len(series) == 0 {
		return nil, fmt.Errorf("claims: v2: no finite exponent to draw")
	}
	return viz.Lines(viz.LineSpec{Title: "v2: γ per layer (layer index l of fc_l; mean over seeds)", XName: "layer l (fc_l)", YName: "γ",
		Series: series, Refs: []viz.RefLine{{Y: 1, Label: "γ = 1"}, {Y: 2, Label: "γ = 2"}}, Symbols: true})
}

// LayerWise checks the v2 layer-wise claim on the deeper MLP: one exponent per hidden-to-hidden
// layer with the v2 rule (and the v1 rule for comparison), empirical and AWD, a log-log panel
// with one series per layer, and, as an exploration, the joint Hessian of the first two target
// layers through exact Hessian-vector products on a sample subset (see LayerWiseJoint).
func LayerWise(ctx context.Context, o Options) (*Report, error) {
	rep := &Report{
		ID: "v2", Title: "Layer-wise exponents in a deeper MLP", Notebook: "08_layerwise.ipynb", Preset: o.PresetName(),
		Statement: "v2 of the paper: in the MNIST MLP 784-50-50-50-50-10 trained with cross-entropy, each hidden-to-hidden weight matrix W_l has its own " +
			"power law C_ii ∝ H_ii^γ_l in the eigenbasis of that layer's Hessian H_l (C = (1/B)(E_p[g_p g_pᵀ] − g gᵀ) restricted to W_l), with layer-dependent " +
			"exponents bounded by 1 ≤ γ_l ≤ 2, and the AWD prediction [E_p h_p²]_ii ∝ H_ii^γ_AWD tracks each. Rule v2: sort by H_ii descending, drop points " +
			"below the 5th percentile of either log variable, fit the top 80% of the rest. The fast preset uses widths 32 (D = 1024 per layer).",
	}
	layers, first, err := LayerWiseData(ctx, o)
	if err != nil {
		return nil, err
	}
	c := first.Config
	var ls []*experiment.Layer
	var names []string
	var series []Series
	results := []*experiment.Result{first}
	for _, seed := range o.seeds()[1:] {
		r, err := experiment.Run(ctx, LayerWiseConfig(o, seed), o.Run)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	results = append(results, withCachedSeeds(o, func(seed uint64) (experiment.Config, error) { return LayerWiseConfig(o, seed), nil })...)
	for _, l := range layers {
		ls = append(ls, l.First)
		names = append(names, fmt.Sprintf("%s (%d×%d)", l.Target, int(math.Sqrt(float64(l.D))), int(math.Sqrt(float64(l.D)))))
		for _, k := range []struct {
			key         experiment.FitKey
			name, paper string
		}{
			{experiment.MatC.V2(), "γ_emp (C, v2)", "1 ≤ γ ≤ 2, layer-dependent"},
			{experiment.MatEh2.V2(), "γ_AWD (E h², v2)", "≈ γ_emp"},
			{experiment.MatCovar.V2(), "γ_emp (Covar, v2)", "1 ≤ γ ≤ 2"},
			{experiment.MatC.V1(), "γ_emp (C, v1)", "(v1 rule: top-N' window)"},
			{experiment.MatEh2.V1(), "γ_AWD (E h², v1)", "≈ γ_emp"},
		} {
			row := Row{Quantity: l.Target + ": " + k.name, Paper: k.paper}
			if f, ok := l.First.Fit(k.key); ok {
				row.Measured = FmtSummary(l.Gamma(k.key))
				row.Note = fmt.Sprintf("seed 0: R² %.3f, %d points of %d", f.R2, f.N, f.Window)
				if f.CI != nil {
					row.Note += fmt.Sprintf(", 95%% CI [%.3f, %.3f]", f.CI.Lo, f.CI.Hi)
				}
			} else {
				row.Measured = "fit failed"
				row.Note = l.First.FitError(k.key)
			}
			rep.Rows = append(rep.Rows, row)
		}
		sr := SeriesOf(names[len(names)-1], c, results, l.Target, "v2")
		series = append(series, sr)
		rep.Rows = append(rep.Rows, Row{Quantity: l.Target + ": γ_emp (C, v2) with its uncertainties", Measured: sr.Emp.String(), Paper: "1 ≤ γ ≤ 2"})
	}
	acc := FinalAcc(first.History)
	rep.Rows = append(rep.Rows, Row{Quantity: "setup", Measured: fmt.Sprintf("hidden %v, N %d, %d epochs, train acc %.4f", c.Hidden, first.N, len(first.History.Epochs), acc),
		Paper: "784-50-50-50-50-10, 2000/class, CE"})

	emp, err := LayerPanel("v2: C_ii vs H_ii per layer, rule v2 fits (offset 2 decades per layer)", "C_ii (offset)", experiment.MatC.V2(), ls, names, c.NPrime, 2)
	if err != nil {
		return nil, err
	}
	awd, err := LayerPanel("v2: [E_p h_p²]_ii vs H_ii per layer, rule v2 fits (offset 2 decades per layer)", "[E h²]_ii (offset)", experiment.MatEh2.V2(), ls, names, c.NPrime, 2)
	if err != nil {
		return nil, err
	}
	gf, err := LayerGammaFigure(layers)
	if err != nil {
		return nil, err
	}
	rep.Figures = []*viz.Figure{emp, awd, gf}
	rep.Criteria = SeriesCriteria(series)
	rep.decide(fmt.Sprintf("Rule v2, seeds: %d.", len(results)))

	// Exploration: the joint Hessian of the first two target layers.
	if len(c.Targets) >= 2 {
		jb, err := LayerWiseJoint(ctx, o, o.seeds()[0], c.Targets[:2], LayerWiseJointPerClass, LayerWiseJointTopK)
		if err != nil {
			return nil, fmt.Errorf("claims: v2 joint block: %w", err)
		}
		for _, b := range append([]*JointBlock{jb}, jb.Singles...) {
			rep.Rows = append(rep.Rows, Row{
				Quantity: "joint exploration: " + b.Name + ": γ_emp / γ_AWD (top-K, v1)",
				Measured: fmt.Sprintf("%s / %s", fmtFitG(b.Layer.Fits[experiment.MatC.V1().String()]), fmtFitG(b.Layer.Fits[experiment.MatEh2.V1().String()])),
				Paper:    "not in the paper",
				Note:     fmt.Sprintf("D %d, top %d eigenpairs by Lanczos, N %d samples (%d per class), %.1f s", b.Layer.D, len(b.Layer.H), b.N, b.PerClass, b.Seconds),
			})
		}
		rep.Rows = append(rep.Rows, Row{Quantity: "joint exploration: top-K eigenvectors of the joint H with > 90% of their mass in one layer",
			Measured: fmt.Sprintf("%d of %d", jb.Localized(0.9), len(jb.Share)), Paper: "not in the paper",
			Note: fmt.Sprintf("mean share of the top-10 in %s: %.3f", jb.Layers[0], fit.Mean(jb.Share[:min(10, len(jb.Share))]))})
		jf, err := JointFigure(jb)
		if err != nil {
			return nil, err
		}
		rep.Figures = append(rep.Figures, jf)
	}
	return rep, nil
}

func fmtFitG(f fit.Result) string {
	if f.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f (R² %.2f)", f.Slope, f.R2)
}

// JointBlock is the analysis of a block of one or more layers in the top-K eigenbasis of its
// Hessian, computed by exact Hessian-vector products on a sample subset.
type JointBlock struct {
	Name     string
	Layers   []string
	N        int
	PerClass int
	// Layer holds the top-K eigenvalues and the diagonals H, C, Covar, Eh2, EF in that basis,
	// with the fits (rule v1 over all K points, and v2) in Layer.Fits.
	Layer *experiment.Layer
	// Share[i] is the fraction of |v_i|² on the first layer's coordinates (joint blocks only).
	Share []float64
	// Singles are the same analysis for each layer alone on the same samples.
	Singles []*JointBlock
	Seconds float64
}

// Localized counts the eigenvectors with more than frac of their mass in one layer.
func (j *JointBlock) Localized(frac float64) int {
	n := 0
	for _, s := range j.Share {
		if s > frac || s < 1-frac {
			n++
		}
	}
	return n
}

// LayerWiseJoint analyses the joint Hessian of the given adjacent layers of the v2 model (seed
// seed) on a balanced subset of perClass samples per class: top-k eigenpairs of the joint H by
// Lanczos on the exact HVP operator, C, Covar, EF and [E_p h_p²] in that basis
// (experiment.TopKLayer), the fits, and the same for each layer alone on the same samples.
func LayerWiseJoint(ctx context.Context, o Options, seed uint64, layers []string, perClass, k int) (*JointBlock, error) {
	h, err := experiment.Open(LayerWiseConfig(o, seed), o.Run)
	if err != nil {
		return nil, err
	}
	tag := fmt.Sprintf("joint-%s-n%d-k%d-v1", strings.Join(layers, "+"), perClass, k)
	return experiment.Derived(h, tag, func() (*JointBlock, error) { return layerWiseJoint(ctx, h, seed, layers, perClass, k) })
}

func layerWiseJoint(ctx context.Context, h *experiment.Handle, seed uint64, layers []string, perClass, k int) (*JointBlock, error) {
	sub, err := h.Subset(perClass, seed+1)
	if err != nil {
		return nil, err
	}
	one := func(ls []string) (*JointBlock, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := time.Now()
		p, err := h.ProblemOn(ctx, sub, experiment.FinalEpoch, ls...)
		if err != nil {
			return nil, err
		}
		l, vecs, err := experiment.TopKLayer(p, k, h.Config.Batch, seed)
		if err != nil {
			return nil, err
		}
		jb := &JointBlock{Name: strings.Join(ls, "+"), Layers: ls, N: sub.Len(), PerClass: perClass, Layer: l}
		if len(ls) > 1 {
			d0, err := p.Model.BlockSize(nn.Block{Layers: ls[:1]})
			if err != nil {
				return nil, err
			}
			jb.Share = curv.BlockShare(vecs, d0)
		}
		jb.Seconds = time.Since(start).Seconds()
		h.Emit("joint", 1, 1, jb.Name)
		return jb, nil
	}
	jb, err := one(layers)
	if err != nil {
		return nil, err
	}
	for _, name := range layers {
		s, err := one([]string{name})
		if err != nil {
			return nil, err
		}
		jb.Singles = append(jb.Singles, s)
	}
	return jb, nil
}

// JointFigure draws, for the joint block, the share of each top eigenvector's mass on the
// first layer against its rank, and the C_ii vs H_ii panel of the joint block and of each
// layer alone (top-K, same samples).
func JointFigure(jb *JointBlock) (*viz.Figure, error) {
	ls := []*experiment.Layer{jb.Layer}
	names := []string{"joint " + jb.Name}
	for _, s := range jb.Singles {
		ls = append(ls, s.Layer)
		names = append(names, s.Name+" alone")
	}
	return LayerPanel(fmt.Sprintf("v2 exploration: joint Hessian of %s vs each layer alone (top %d eigenpairs, N = %d; offset 2 decades)",
		jb.Name, len(jb.Layer.H), jb.N), "C_ii (offset)", experiment.MatC.V1(), ls, names, len(jb.Layer.H), 2)
}

// JointShareFigure draws the share of each top eigenvector of the joint Hessian on the first
// layer of the block, against the eigenvalue rank.
func JointShareFigure(jb *JointBlock) (*viz.Figure, error) {
	x := make([]float64, len(jb.Share))
	for i := range x {
		x[i] = float64(i + 1)
	}
	return viz.Lines(viz.LineSpec{Title: fmt.Sprintf("Joint Hessian of %s: share of eigenvector mass on %s", jb.Name, jb.Layers[0]),
		XName: "rank i of λ_i (joint H)", YName: "|v_i on " + jb.Layers[0] + "|²", LogX: true,
		Series: []viz.XYSeries{{Name: "share on " + jb.Layers[0], X: x, Y: jb.Share}},
		Refs:   []viz.RefLine{{Y: 0.5, Label: "even split"}}, Symbols: true})
}
