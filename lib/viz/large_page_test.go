package viz

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// TestLargePageFinishes renders a page like the paper-preset notebook 05 (a log-count
// histogram, a line chart, log-log scatters of 2,500 points and one of 2 x 20,000 points) and
// checks that headless Chromium finishes it with every chart drawn. An unconditional
// ResizeObserver resize once kept Chromium busy on such a page until it was killed. (Observers
// kept for the page's lifetime, even without resizing, did the same on the executed paper-preset
// notebook itself: 4.8 MB with nbconvert's styles, which this page does not imitate.)
func TestLargePageFinishes(t *testing.T) {
	needChromium(t)
	rng := rand.New(rand.NewPCG(1, 2))
	pts := func(n int) (x, y []float64) {
		x, y = make([]float64, n), make([]float64, n)
		for i := range x {
			x[i] = math.Exp(rng.NormFloat64() * 4)
			y[i] = x[i] * math.Exp(rng.NormFloat64())
		}
		return x, y
	}
	var figs []Item
	hv, _ := pts(20000)
	figs = append(figs, Must(Histogram(HistogramSpec{Title: "hist", LogBins: true, LogCounts: true, Series: []HistSeries{{Name: "a", Values: hv}}})))
	lx, ly := pts(10)
	figs = append(figs, Must(Lines(LineSpec{Title: "lines", LogX: true, Series: []XYSeries{{Name: "a", X: lx, Y: ly}}})))
	for i := 0; i < 2; i++ {
		x, y := pts(2500)
		figs = append(figs, Must(LogLog(LogLogSpec{Title: "scatter", Series: []XYSeries{{Name: "a", X: x, Y: y}}})))
	}
	ax, ay := pts(20000)
	bx, by := pts(20000)
	figs = append(figs, Must(LogLog(LogLogSpec{Title: "big", Series: []XYSeries{{Name: "a", X: ax, Y: ay}, {Name: "b", X: bx, Y: by}}})))
	p := &Page{Title: "large"}
	p.Add("large charts", figs...)
	path := filepath.Join(t.TempDir(), "large.html")
	if err := p.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dom, err := DumpDOM(ctx, path, 30000)
	if err != nil {
		t.Fatalf("Chromium did not finish the page: %v", err)
	}
	ms := ParseCharts(dom)
	if len(ms) != len(figs) {
		t.Fatalf("%d chart markers, want %d", len(ms), len(figs))
	}
	for _, m := range ms {
		if m.Status != "ok" {
			t.Errorf("chart %q: status %q %s", m.Title, m.Status, m.Error)
		}
	}
}
