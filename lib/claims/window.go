package claims

import (
	"fmt"

	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// windowGrid are the v1 windows N' of WindowStudy's curves (those up to the layer's D).
var windowGrid = []int{10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 2500, 3000, 5000}

// WindowStudy shows how γ of the given matrices depends on the fit window, for several
// layers (names[i] labels layers[i], fitted with window nPrime[i]): a table of Layer.WindowSweep
// (rule v1 at N'/2, N', 2N' and rule v2, the spread that enters every Gamma's rule band)
// and a figure of γ (rule v1) against N' on a log grid from 10 directions to D.
func WindowStudy(title string, names []string, layers []*experiment.Layer, nPrime []int, ms ...experiment.Matrix) (*viz.Table, *viz.Figure, error) {
	if len(names) != len(layers) || len(nPrime) != len(layers) {
		return nil, nil, fmt.Errorf("claims: window study %q: %d names, %d layers, %d windows, want one each", title, len(names), len(layers), len(nPrime))
	}
	t := &viz.Table{Caption: title + ": γ for other windows (WindowSweep)", Header: []string{"layer", "matrix", "N'"}}
	for _, w := range layers[0].WindowSweep(experiment.MatC, nPrime[0]) {
		t.Header = append(t.Header, w.Label)
	}
	var lines []viz.XYSeries
	for i, l := range layers {
		for _, m := range ms {
			row := []string{names[i], string(m), fmt.Sprint(nPrime[i])}
			for _, w := range l.WindowSweep(m, nPrime[i]) {
				cell := "fit failed"
				if w.Err == nil {
					cell = fmt.Sprintf("%.3f (R² %.2f, %d points)", w.Result.Slope, w.Result.R2, w.Result.N)
				}
				row = append(row, cell)
			}
			t.Rows = append(t.Rows, row)
			var xs, ys []float64
			for _, n := range windowGrid {
				if n > l.D {
					break
				}
				if f, err := l.Refit(experiment.FitKey{Matrix: m, Rule: fit.RuleV1}, n); err == nil {
					xs, ys = append(xs, float64(n)), append(ys, f.Slope)
				}
			}
			lines = append(lines, viz.XYSeries{Name: names[i] + " " + string(m), X: xs, Y: ys})
		}
	}
	f, err := viz.Lines(viz.LineSpec{Title: title + ": γ vs fit window N' (rule v1)", XName: "N' (top directions fitted)", YName: "γ",
		LogX: true, Series: lines, Refs: []viz.RefLine{{Y: 1, Label: "γ = 1"}}, Symbols: true})
	return t, f, err
}
