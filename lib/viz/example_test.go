package viz_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/noisecurv/noisecurv/lib/viz"
)

// A Fig. 3 style panel: two series of diagonal entries, the second shifted up by two
// decades, each with its power-law fit in the legend, plus slope-1 and slope-2 guides.
// In a GoNB notebook: viz.Setup() in the first cell, then viz.Show(fig).
func ExampleLogLog() {
	h := []float64{1e-4, 1e-3, 1e-2, 1e-1}
	cCE := []float64{2e-6, 6e-5, 2e-3, 6e-2}    // ≈ H^1.5
	cMSE := []float64{1e-4, 1e-3, 1.1e-2, 1e-1} // ≈ H^1
	var series []viz.XYSeries
	for _, s := range []struct {
		name   string
		y      []float64
		offset float64
	}{{"MLP/MNIST/CE", cCE, 0}, {"MLP/MNIST/MSE", cMSE, 2}} {
		fit, err := viz.FitLogLog(h, s.y)
		if err != nil {
			fmt.Println(err)
			return
		}
		series = append(series, viz.XYSeries{Name: s.name, X: h, Y: s.y, Fit: &fit, Offset: s.offset})
	}
	fig, err := viz.LogLog(viz.LogLogSpec{Title: "C_ii vs H_ii", XName: "H_ii", YName: "C_ii", Series: series})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range fig.Option["legend"].(map[string]any)["data"].([]string) {
		fmt.Println(name)
	}

	// A page with the figure works offline: the ECharts bundle is inlined once.
	dir, _ := os.MkdirTemp("", "viz-example")
	defer os.RemoveAll(dir)
	page := &viz.Page{Title: "example"}
	page.Add("Fig. 3", viz.Text("Diagonals of C against H."), fig)
	if err := page.WriteFile(filepath.Join(dir, "fig3.html")); err != nil {
		fmt.Println(err)
		return
	}
	html, _ := os.ReadFile(filepath.Join(dir, "fig3.html"))
	fmt.Println("chart divs:", len(viz.ParseCharts(string(html))), "loaders:", strings.Count(string(html), "loaded by noisecurv/lib/viz"))

	// Values a log axis cannot show are an error naming the series and index.
	_, err = viz.LogLog(viz.LogLogSpec{Series: []viz.XYSeries{{Name: "MSE", X: h, Y: []float64{1, 2, -3, 4}}}})
	fmt.Println(err != nil && strings.Contains(err.Error(), `series "MSE": y[2] = -3 is not positive`))
	// Output:
	// MLP/MNIST/CE: slope 1.495, R² 1.000, n=4
	// MLP/MNIST/MSE (×1e2): slope 1.004, R² 1.000, n=4
	// slope 1
	// slope 2
	// chart divs: 1 loaders: 1
	// true
}
