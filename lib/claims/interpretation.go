package claims

import (
	"context"
	"fmt"
	"math"

	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// c8Statement is the claim C8 in one paragraph.
const c8Statement = "Claim C8 (interpretation): if C_ii ∝ H_ii^γ with γ > 1, then the noise per unit curvature C_ii / H_ii ∝ H_ii^(γ−1) " +
	"grows with sharpness, so SGD's noise is concentrated on the sharpest directions of the landscape beyond what curvature " +
	"alone would give (γ = 1, the 'C ∝ H' picture). Measured here: the slope of log(C_ii/H_ii) on log H_ii over the v1 window " +
	"(= γ_emp − 1), and S_C(k) = Σ_{i≤k} C_ii / tr C versus S_H(k) = Σ_{i≤k} H_ii / tr H (positive parts) for the k sharpest " +
	"directions."

// Claim C8: SGD noise is disproportionately strong along sharp directions. With C_ii ∝ H_ii^γ,
// the noise per unit curvature C_ii / H_ii ∝ H_ii^(γ−1) rises with sharpness when γ > 1, and
// the sharpest directions carry a larger share of the total noise tr C than of the total
// curvature tr H. It reuses the Fig. 3 runs (PowerLawData).

// Thresholds of the C8 verdict.
const (
	c8ShareK      = 10  // the k sharpest directions compared with the others
	c8ContrastMin = 1.5 // CE: median C/H of the sharpest vs the flattest tenth of the v1 window
	c8TenthFrac   = 0.1
	c8ShareRatio  = 1.1 // CE: share of tr C / share of tr H in the top-k (whole spectrum)
)

// Interpretation illustrates claim C8 on the Fig. 3 runs: the noise per unit curvature
// C_ii / H_ii against H_ii (its log-log slope is γ − 1), and the cumulative share of the
// total noise tr C versus the share of the total curvature tr H carried by the k sharpest
// directions of H.
func Interpretation(ctx context.Context, o Options) (*Report, error) {
	return InterpretationWith(ctx, o, DefaultPowerLawRuns(o))
}

// InterpretationWith is Interpretation on a chosen list of series.
func InterpretationWith(ctx context.Context, o Options, runs []PowerLawRun) (*Report, error) {
	rep := newReport(o, "C8", "Noise is disproportionately strong along sharp directions", "04_power_law.ipynb", c8Statement)
	ss, err := PowerLawData(ctx, o, o.seeds()[0], runs)
	if err != nil {
		return nil, fmt.Errorf("claims: C8: %w", err)
	}
	// Figure: C_ii / H_ii vs H_ii, offset vertically, with the v1 fit (slope γ − 1).
	var rs []viz.XYSeries
	for _, s := range ss {
		xs := viz.VisibleSeries(s.Run.Label, s.Layer.H, s.Layer.C)
		xs.X, xs.Y = fit.PositiveRatio(xs.X, xs.Y)
		if f, ok := s.Fits[experiment.MatC.V1().String()]; ok {
			vf := viz.FitLine(f, s.Layer.H)
			vf.Slope -= 1 // log(C/H) = log C − log H: same intercept, slope γ − 1
			xs.Fit = vf
		}
		rs = append(rs, xs)
	}
	viz.Stack(rs, 1)
	var figs viz.Figures
	viz.LegendRoom(figs.Add(viz.LogLog(viz.LogLogSpec{Title: "Noise per unit curvature C_ii / H_ii vs H_ii (fit slope = γ_emp − 1)",
		XName: "H_ii", YName: "C_ii / H_ii (offset)", Series: rs, Guides: []float64{0, 1}, Height: 520})), 150)
	// Figures: cumulative shares and their ratio vs k.
	var shares, ratios []viz.XYSeries
	type shareAt struct{ c, h float64 }
	at := map[string]map[int]shareAt{}
	for _, s := range ss {
		sc, sh := fit.CumShare(s.Layer.C), fit.CumShare(s.Layer.H)
		shares = append(shares, // X nil: k = 1, 2, ...
			viz.XYSeries{Name: s.Run.Label + " noise S_C(k)", Y: sc},
			viz.XYSeries{Name: s.Run.Label + " curvature S_H(k)", Y: sh})
		q := make([]float64, len(sc))
		for i := range q {
			q[i] = sc[i] / sh[i]
		}
		ratios = append(ratios, viz.XYSeries{Name: s.Run.Label, Y: q, Mask: true})
		at[s.Run.Label] = map[int]shareAt{}
		for _, kk := range []int{1, c8ShareK, max(1, len(sc)/100), max(1, len(sc)/10)} {
			if kk <= len(sc) {
				at[s.Run.Label][kk] = shareAt{sc[kk-1], sh[kk-1]}
			}
		}
	}
	figs.Add(viz.Lines(viz.LineSpec{Title: "Share of total noise vs share of total curvature in the k sharpest directions",
		XName: "k (sharpest directions of H)", YName: "cumulative share", LogX: true, Series: shares}))
	figs.Add(viz.Lines(viz.LineSpec{Title: "Concentration S_C(k) / S_H(k) (> 1: noise more concentrated than curvature)",
		XName: "k", YName: "S_C(k) / S_H(k)", LogX: true, LogY: true, Series: ratios, Refs: []viz.RefLine{{Y: 1, Label: "C ∝ H"}}}))
	if rep.Figures, err = figs.Result(); err != nil {
		return nil, fmt.Errorf("claims: C8 figure: %w", err)
	}

	for _, s := range ss {
		win := s.Config.NPrime
		paperR := map[bool]string{true: "> 1 (CE)", false: "≈ 1 (MSE)"}[s.Run.Loss == "ce"]
		rep.Rows = append(rep.Rows, Row{Quantity: fmt.Sprintf("%s: Σ C/Σ H of top-%d vs directions %d..%d", s.Run.Label, c8ShareK, c8ShareK+1, win),
			Measured: fmt.Sprintf("×%.2f", fit.PooledContrast(s.Layer.H, s.Layer.C, c8ShareK, win)), Paper: paperR, Note: "the outlier directions vs the next ones"})
		for _, kk := range []int{1, c8ShareK, max(1, s.Layer.D/100), max(1, s.Layer.D/10)} {
			if a, ok := at[s.Run.Label][kk]; ok {
				rep.Rows = append(rep.Rows, Row{Quantity: fmt.Sprintf("%s: top-%d share of tr C vs of tr H", s.Run.Label, kk),
					Measured: fmt.Sprintf("%.1f%% vs %.1f%% (×%.2f)", 100*a.c, 100*a.h, a.c/a.h)})
			}
		}
		if s.Run.Loss == "ce" {
			rep.Criteria = append(rep.Criteria, C8Criteria(s.Run.Label, s.Layer.H, s.Layer.C, s.Layer.F, win)...)
		}
	}
	rep.decide("The top-k shares of tr C and tr H are dominated by the same few outlier directions; the rise of noise per unit curvature runs across the bulk of the window.")
	return rep, nil
}

// C8Criteria test "noise is disproportionately strong along sharp directions" on one
// cross-entropy series (h, c, f: the diagonals of H, C and the true Fisher in H's
// eigenbasis; win the v1 window N'):
//
//	identity  the log-log slope of C_ii/H_ii on H_ii is γ_emp − 1: it restates C4
//	bulk      median C_ii/H_ii of the sharpest tenth of the window over the flattest
//	          tenth > 1.5; control: the same for F (F = H for cross-entropy: 1)
//	outliers  the top-10 directions' share of tr C over their share of tr H > 1.1;
//	          control: F
func C8Criteria(label string, h, c, f []float64, win int) []Criterion {
	share := func(y []float64) Estimate {
		sy, sh := fit.CumShare(y), fit.CumShare(h)
		if len(sy) < c8ShareK {
			return Point(math.NaN())
		}
		return Point(sy[c8ShareK-1] / sh[c8ShareK-1])
	}
	restate := math.NaN()
	ratio := make([]float64, len(h))
	for i := range h {
		if h[i] > 0 && c[i] > 0 { // elsewhere 0: dropped by both fits as non-positive
			ratio[i] = c[i] / h[i]
		}
	}
	fr, err1 := fit.LogLog(h, ratio, fit.Options{TopN: win})
	fc, err2 := fit.LogLog(h, c, fit.Options{TopN: win})
	if err1 == nil && err2 == nil {
		restate = math.Abs(fr.Slope - (fc.Slope - 1))
	}
	out := []Criterion{
		{Name: label + ": the slope of C_ii/H_ii is γ_emp − 1 (restates C4)", Statistic: "|slope(C/H vs H) − (γ_emp − 1)|", Kind: Identity, Sense: Below,
			Measured: Point(restate), Threshold: 1e-9, ThresholdWhy: "rounding"},
		{Name: label + ": noise per unit curvature rises with sharpness", Statistic: "median C/H, sharpest tenth ÷ flattest tenth of N'", Kind: Core, Sense: Above,
			Measured: Point(fit.EndContrast(h, c, win, c8TenthFrac)), Threshold: c8ContrastMin, ThresholdWhy: "a 50% excess"},
		{Name: label + fmt.Sprintf(": the %d sharpest directions carry more noise than curvature", c8ShareK), Statistic: "top-10 share of tr C ÷ share of tr H", Kind: Core, Sense: Above,
			Measured: share(c), Threshold: c8ShareRatio, ThresholdWhy: "a 10% excess"},
	}
	if f != nil {
		out[1].ControlName, out[1].Control = "the true Fisher F", ptr(Point(fit.EndContrast(h, f, win, c8TenthFrac)))
		out[2].ControlName, out[2].Control = "the true Fisher F", ptr(share(f))
	}
	return out
}
