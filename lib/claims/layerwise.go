package claims

import (
	"context"
	"fmt"

	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// v2Statement is the layer-wise claim v2 in one paragraph, with rule v2.
const v2Statement = "v2 of the paper: in the MNIST MLP 784-50-50-50-50-10 trained with cross-entropy, each hidden-to-hidden weight matrix W_l has its own " +
	"power law C_ii ∝ H_ii^γ_l in the eigenbasis of that layer's Hessian H_l (C = (1/B)(E_p[g_p g_pᵀ] − g gᵀ) restricted to W_l), with layer-dependent " +
	"exponents bounded by 1 ≤ γ_l ≤ 2, and the AWD prediction [E_p h_p²]_ii ∝ H_ii^γ_AWD tracks each. Rule v2: sort by H_ii descending, drop points " +
	"below the 5th percentile of either log variable, fit the top 80% of the rest. The fast preset uses widths 32 (D = 1024 per layer)."

// v2 layer-wise exponents: in the deeper MNIST MLP 784-50-50-50-50-10 (cross-entropy) every
// hidden-to-hidden weight matrix has its own power law C_ii ∝ H_ii^γ_l, with layer-dependent
// exponents bounded by 1 ≤ γ_l ≤ 2, fitted with the v2 rule (sort by H_ii, drop points below
// the 5th percentile of either log, fit the top 80% of the rest).

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

// LayerWiseData runs (or loads) the v2 run for every seed of o and collects the per-layer
// fits; results are the runs, one per seed.
func LayerWiseData(ctx context.Context, o Options) (layers []*LayerFits, results []*experiment.Result, err error) {
	for si, seed := range o.seeds() {
		c := LayerWiseConfig(o, seed)
		r, err := experiment.Run(ctx, c, o.Run)
		if err != nil {
			return nil, nil, fmt.Errorf("claims: v2 layer-wise seed %d: %w", seed, err)
		}
		results = append(results, r)
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
	return layers, results, nil
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
// with one series per layer (the joint Hessian of two layers is an exploration: package
// explore).
func LayerWise(ctx context.Context, o Options) (*Report, error) {
	rep := newReport(o, "v2", "Layer-wise exponents in a deeper MLP", "08_layerwise.ipynb", v2Statement)
	layers, results, err := LayerWiseData(ctx, o)
	if err != nil {
		return nil, err
	}
	first := results[0]
	c := first.Config
	var ls []*experiment.Layer
	var names []string
	var series []Series
	results = append(results, withCachedSeeds(o, func(seed uint64) (experiment.Config, error) { return LayerWiseConfig(o, seed), nil })...)
	for _, l := range layers {
		ls = append(ls, l.First)
		names = append(names, mlpLayerName(c, l.Target, l.D))
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
				row.Measured = l.Gamma(k.key).Format(3, "–")
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
	acc := first.History.FinalTrainAcc()
	rep.Rows = append(rep.Rows, Row{Quantity: "setup", Measured: fmt.Sprintf("hidden %v, N %d, %d epochs, train acc %.4f", c.Hidden, first.N, len(first.History.Epochs), acc),
		Paper: "784-50-50-50-50-10, 2000/class, CE"})

	var figs viz.Figures
	figs.Add(LayerPanel("v2: C_ii vs H_ii per layer, rule v2 fits (offset 2 decades per layer)", "C_ii (offset)", experiment.MatC.V2(), ls, names, c.NPrime, 2))
	figs.Add(LayerPanel("v2: [E_p h_p²]_ii vs H_ii per layer, rule v2 fits (offset 2 decades per layer)", "[E h²]_ii (offset)", experiment.MatEh2.V2(), ls, names, c.NPrime, 2))
	figs.Add(LayerGammaFigure(layers))
	if rep.Figures, err = figs.Result(); err != nil {
		return nil, err
	}
	rep.Criteria = SeriesCriteria(series)
	rep.decide(fmt.Sprintf("Rule v2, seeds: %d.", len(results)))

	return rep, nil
}

// mlpLayerName labels dense layer fcN of an MLP config with its shape, out × in
// ("fc5 (10×50)" for the output layer of 784-50-50-50-50-10); "fcN (D = d)" when the
// name does not parse.
func mlpLayerName(c experiment.Config, target string, d int) string {
	var n int
	if _, err := fmt.Sscanf(target, "fc%d", &n); err != nil || n < 2 || n-2 >= len(c.Hidden) {
		return fmt.Sprintf("%s (D = %d)", target, d)
	}
	out := 10
	if n-1 < len(c.Hidden) {
		out = c.Hidden[n-1]
	}
	return fmt.Sprintf("%s (%d×%d)", target, out, c.Hidden[n-2])
}
