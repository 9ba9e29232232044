package claims

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// c6bStatement is the claim C6 (part 2) in one paragraph, with the edits.
const c6bStatement = "Claim C6 (part 2, Fig. 5): recompute H_ii = E_p Σ_m κ_pm w_pmi and C_ii = [E h²]_ii = E_p Σ_m κ_pm² w_pmi " +
	"(w_pmi = (u_pm·v_i)², v_i the top-N' eigenvectors of H) from edited per-sample spectra: (1) original; (2) cut at k = 1, " +
	"modes beyond the first scaled by 1e-5; (3) cut and stiff-preserve, samples with κ_p1 ≤ 1e-3·max κ_p1 get κ_p1 scaled by " +
	"1e-3; (4) cut and stiff mean collapse, the stiff samples' κ_p1 replaced by their mean. The paper: γ survives (2) and (3) " +
	"and drops to about 1 under (4), so the superlinearity comes from the spread of the stiff samples' leading curvatures. " +
	"Gap metric: share of Σ_m κ_m² (u_m)_i² captured by the first k modes (mean over samples, the authors' definition)."

// Claim C6, part 2 (Fig. 5): the suppression experiment. H_ii and C_ii := [E h²]_ii (the
// AWD proxy of the noise) are recomputed from edited per-sample spectra,
//
//	H_ii = (1/N) Σ_p Σ_m κ_pm w_pmi,   C_ii = (1/N) Σ_p Σ_m κ_pm² w_pmi,   w_pmi = (u_pm·v_i)²,
//
// with the four edits of fit.AllEdits: (1) original; (2) cut at k = 1 (modes m ≥ 2 scaled by
// 1e-5); (3) cut and stiff-preserve (samples with κ_p1 ≤ 1e-3 max_p κ_p1 get κ_p1 scaled by
// 1e-3); (4) cut and stiff mean collapse (the stiff samples' κ_p1 replaced by their mean). If
// γ > 1 comes from the spread of the stiff samples' curvatures, (2) and (3) keep γ and (4)
// brings it to 1: with a common κ̄ on the stiff samples, C_ii ≈ κ̄ H_ii.

// Verdict thresholds of C6 part 2.
const (
	// c6SuppressionMem bounds the squared projections held at once (N·K·block floats).
	c6SuppressionMem = 512 << 20
)

// C6Suppression is the suppression experiment on one run: per edit the recomputed diagonals
// over the top-N' directions, the fits and the gap metric.
type C6Suppression struct {
	Run *C6Run
	// Dirs is the number of directions (H's top N', the v1 fit window); K the modes per sample.
	Dirs, K int
	// Kappa is the original per-sample spectrum in fit.Spectra's layout (N*K, descending per
	// sample; padding modes of rank-deficient samples repeat the last value, with zero weight).
	Kappa []float64
	Rows  []fit.SuppressionRow
	// Blocks is the number of direction blocks the projections were processed in (1: one
	// call of fit.Suppression).
	Blocks int
	// Samples are the samples shown in the spectra panels: evenly spaced in the order of κ_p1.
	Samples []int
	Opt     fit.SuppressionOptions
}

// SuppressionData runs the suppression experiment on the MNIST MLP with the given loss and
// the paper's edit constants.
func SuppressionData(ctx context.Context, o Options, loss string, seed uint64) (*C6Suppression, error) {
	return SuppressionDataWith(ctx, o, loss, seed, fit.EditParams{})
}

// SuppressionDataWith is SuppressionData with other edit constants (zero fields: the paper's).
func SuppressionDataWith(ctx context.Context, o Options, loss string, seed uint64, par fit.EditParams) (*C6Suppression, error) {
	r, err := LoadC6(ctx, o, loss, seed)
	if err != nil {
		return nil, err
	}
	if par.Seed == 0 {
		par.Seed = seed
	}
	sp := r.Spectra
	dirs := min(r.Config.NPrime, len(r.Eigenvalues))
	out := &C6Suppression{Run: r, Dirs: dirs, K: sp.K, Kappa: sp.FlatKappa(),
		Opt: fit.SuppressionOptions{EditParams: par, Fit: fit.Options{Rule: fit.RuleV1, TopN: dirs}, Gap: fit.GapMeanOfRatios}}
	block := max(1, c6SuppressionMem/(8*sp.N*sp.K))
	d, _ := r.Eigenvectors.Dims()
	load := func(i0, i1 int) (*fit.Spectra, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return sp.FitSpectra(out.Kappa, r.Eigenvectors.Slice(0, d, i0, i1).(*mat.Dense))
	}
	if out.Rows, out.Blocks, err = fit.SuppressionBlocks(dirs, block, load, out.Opt); err != nil {
		return nil, fmt.Errorf("claims: C6b %s: %w", r.Label, err)
	}
	out.Samples = fit.SpreadByRank(r.Spectra.Leading(), 8)
	return out, nil
}

// c6Expect is the paper's expectation for each edit's γ.
func c6Expect(e fit.Edit) string {
	switch e {
	case fit.EditOriginal:
		return "γ_AWD > 1 (CE)"
	case fit.EditCut:
		return "≈ original (mode 1 dominates)"
	case fit.EditStiffPreserve:
		return "≈ original (soft samples irrelevant)"
	case fit.EditStiffCollapse:
		return "γ → 1"
	case fit.EditStiffShuffle:
		return "not in the paper: the control"
	}
	return ""
}

// C6bCriteria test the suppression experiment (γ of each edit's [E h²]_ii on H_ii):
//
//	cut, preserve  γ_edit − 1 > (γ_0 − 1)/2: the superlinearity survives keeping only each
//	               sample's leading mode, and dropping the soft samples; control: the stiff
//	               samples' κ_p1 shuffled among them (same distribution, pairing with the
//	               directions broken)
//	collapse       γ = 1 under the stiff mean collapse: an identity (with one κ on every
//	               stiff sample, [E h²]_ii = κ̄ H_ii up to the soft samples), a sanity check
func C6bCriteria(rows []fit.SuppressionRow) []Criterion {
	g := map[fit.Edit]float64{}
	for _, r := range rows {
		g[r.Edit] = r.Fit.Slope
	}
	g0, ok := g[fit.EditOriginal]
	if !ok {
		return nil
	}
	th := (g0 - 1) / 2
	out := []Criterion{{Name: "the original spectra are superlinear", Statistic: "γ_0 − 1", Kind: Reported, Measured: Point(g0 - 1)}}
	for _, e := range []fit.Edit{fit.EditCut, fit.EditStiffPreserve} {
		v, ok := g[e]
		if !ok {
			continue
		}
		c := Criterion{Name: "the superlinearity survives " + e.String(), Statistic: "γ_edit − 1", Kind: Core, Sense: Above,
			Measured: Point(v - 1), Threshold: th, ThresholdWhy: "half the original effect, (γ_0 − 1)/2"}
		if gs, ok := g[fit.EditStiffShuffle]; ok {
			c.ControlName, c.Control = "stiff κ_p1 shuffled", ptr(Point(gs-1))
		}
		if !(th > 0) {
			c.Kind, c.ThresholdWhy = Reported, "undefined: the original is not superlinear"
		}
		out = append(out, c)
	}
	if v, ok := g[fit.EditStiffCollapse]; ok {
		out = append(out, Criterion{Name: "the stiff mean collapse gives γ = 1", Statistic: "|γ − 1|", Kind: Identity, Sense: Below,
			Measured: Point(math.Abs(v - 1)), Threshold: 0.01, ThresholdWhy: "1 by construction, up to the soft samples"})
	}
	return out
}

// Suppression checks claim C6, part 2 (Fig. 5) on the MNIST MLP with cross-entropy: γ of
// the recomputed C_ii = [E h²]_ii vs H_ii under the four spectrum edits.
func Suppression(ctx context.Context, o Options) (*Report, error) {
	s, err := SuppressionData(ctx, o, "ce", o.seeds()[0])
	if err != nil {
		return nil, err
	}
	return s.Report(o)
}

// Report builds the claim's report: rows per edit, the C vs H panels, gap metric, the
// new-vs-original comparisons and sample spectra (the full Fig. 5 grid is Grid).
func (s *C6Suppression) Report(o Options) (*Report, error) {
	r := s.Run
	rep := newReport(o, "C6b", "Suppression experiment (Fig. 5): what sets γ", "06_suppression.ipynb", c6bStatement)
	l := r.Layer
	rep.Rows = append(rep.Rows, Row{Quantity: r.Label + ": setup", Measured: fmt.Sprintf("D %d, N %d, K %d modes, %d directions (N'), %d block(s)", l.D, s.Run.Result.N, s.K, s.Dirs, s.Blocks),
		Paper: "top-1500 directions (CIFAR MLP)", Note: fmt.Sprintf("γ_AWD of the run (Eh2/v1): %.3f", l.Gamma(experiment.MatEh2.V1()))})
	for _, row := range s.Rows {
		note := fmt.Sprintf("R² %.3f, N %d; new/orig slope: C %.3f, H %.3f", row.Fit.R2, row.Fit.N, row.CVsOrig.Slope, row.HVsOrig.Slope)
		if row.Info.Stiff+row.Info.Soft > 0 {
			note += fmt.Sprintf("; %d stiff / %d soft (τ = %.3g, stiff mean κ_1 %.3g)", row.Info.Stiff, row.Info.Soft, row.Info.Threshold, row.Info.StiffMean)
		}
		if len(row.GapMean) > 0 {
			note += fmt.Sprintf("; mean gap at k=1: %.3f", row.GapMean[0])
		}
		rep.Rows = append(rep.Rows, Row{Quantity: "γ (" + row.Name + ")", Measured: fmt.Sprintf("%.3f", row.Fit.Slope), Paper: c6Expect(row.Edit), Note: note})
	}
	var figs viz.Figures
	for _, row := range s.Rows {
		figs.Add(s.panelCH(row))
	}
	var gap, nc, nh []viz.XYSeries
	for _, row := range s.Rows {
		if row.GapMean != nil {
			gap = append(gap, viz.XYSeries{Name: row.Name, Y: row.GapMean})
		}
		nc = append(nc, viz.XYSeries{Name: row.Name + fmt.Sprintf(" (slope %.2f)", row.CVsOrig.Slope), X: s.Rows[0].Eh2, Y: row.Eh2, Mask: true})
		nh = append(nh, viz.XYSeries{Name: row.Name + fmt.Sprintf(" (slope %.2f)", row.HVsOrig.Slope), X: s.Rows[0].H, Y: row.H, Mask: true})
	}
	if len(gap) > 0 {
		figs.Add(viz.Lines(viz.LineSpec{Title: "Gap metric, mean over the top-N' directions", XName: "k (modes kept)", YName: "cumulative share of Σ κ² w", Series: gap, Symbols: true}))
	}
	for _, q := range []struct {
		title, x, y string
		series      []viz.XYSeries
	}{
		{"New vs original C_ii = [E h²]_ii", "original C_ii", "new C_ii", nc},
		{"New vs original H_ii", "original H_ii", "new H_ii", nh},
	} {
		figs.Add(viz.LogLog(viz.LogLogSpec{Title: q.title, XName: q.x, YName: q.y, Series: q.series, Guides: []float64{1}}))
	}
	figs.Add(s.panelSpectra(s.Rows[0]))
	var err error
	if rep.Figures, err = figs.Result(); err != nil {
		return nil, fmt.Errorf("claims: C6b figure: %w", err)
	}
	rep.Criteria = C6bCriteria(s.Rows)
	rep.decide()
	return rep, nil
}

// The panels of Fig. 5's rows (Grid); the first two also appear in Report.

func (s *C6Suppression) panelCH(row fit.SuppressionRow) (*viz.Figure, error) {
	return viz.LogLog(viz.LogLogSpec{Title: "C_ii vs H_ii: " + row.Name, XName: "H_ii", YName: "C_ii = [E h²]_ii",
		Series: []viz.XYSeries{{Name: row.Name, X: row.H, Y: row.Eh2, Mask: true, Fit: viz.FitLine(row.Fit, row.H)}}})
}

func (s *C6Suppression) panelSpectra(row fit.SuppressionRow) (*viz.Figure, error) {
	var ser []viz.Spectrum
	for _, p := range s.Samples {
		ser = append(ser, viz.Spectrum{Name: fmt.Sprintf("sample %d", p), Values: append([]float64(nil), row.Kappa[p*s.K:(p+1)*s.K]...), Mask: true})
	}
	return viz.Spectra(viz.SpectraSpec{Title: "Per-sample spectra κ_pm vs m: " + row.Name, YName: "κ_pm", LinearRank: true, Series: ser})
}

func (s *C6Suppression) panelGap(row fit.SuppressionRow) (*viz.Figure, error) {
	var ser []viz.XYSeries
	for _, i := range []int{0, 9, 49, 99, 399} {
		if row.Gap == nil || i >= s.Dirs {
			continue
		}
		y := mat.Col(nil, i, row.Gap.T())
		for j := range y {
			if math.IsNaN(y[j]) {
				y[j] = 0
			}
		}
		ser = append(ser, viz.XYSeries{Name: fmt.Sprintf("i = %d", i+1), Y: y})
	}
	if row.GapMean != nil {
		ser = append(ser, viz.XYSeries{Name: "mean", Y: row.GapMean})
	}
	return viz.Lines(viz.LineSpec{Title: "Gap metric: " + row.Name, XName: "k", YName: "cumulative share", Series: ser, Symbols: true})
}

func (s *C6Suppression) panelVsOrig(row fit.SuppressionRow, what string) (*viz.Figure, error) {
	x, y, f := s.Rows[0].Eh2, row.Eh2, row.CVsOrig
	if what == "H" {
		x, y, f = s.Rows[0].H, row.H, row.HVsOrig
	}
	return viz.LogLog(viz.LogLogSpec{Title: "new vs original " + what + "_ii: " + row.Name, XName: "original " + what + "_ii", YName: "new " + what + "_ii",
		Series: []viz.XYSeries{{Name: row.Name, X: x, Y: y, Mask: true, Fit: viz.FitLine(f, x)}}, Guides: []float64{1}})
}

// Grid is the full Fig. 5: one row per edit, columns C vs H (with γ), gap metric vs k,
// sample per-sample spectra, new vs original C_ii, new vs original H_ii.
func (s *C6Suppression) Grid() (*viz.Grid, error) {
	vsOrig := func(what string) func(fit.SuppressionRow) (*viz.Figure, error) {
		return func(row fit.SuppressionRow) (*viz.Figure, error) { return s.panelVsOrig(row, what) }
	}
	var figs viz.Figures
	for _, row := range s.Rows {
		for _, panel := range []func(fit.SuppressionRow) (*viz.Figure, error){s.panelCH, s.panelGap, s.panelSpectra, vsOrig("C"), vsOrig("H")} {
			if f := figs.Add(panel(row)); f != nil {
				f.Height = 300
			}
		}
	}
	list, err := figs.Result()
	if err != nil {
		return nil, fmt.Errorf("claims: C6b figure: %w", err)
	}
	return viz.NewGrid(fmt.Sprintf("Fig. 5 (%s): rows = edits; columns = C vs H, gap metric, sample spectra, new vs original C, new vs original H", s.Run.Label), 5, list...), nil
}
