package viz

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// demoFigures returns one figure of every kind, from seeded synthetic data.
func demoFigures(t *testing.T) []Item {
	t.Helper()
	var series []XYSeries
	for i, s := range []float64{1.6, 1.3, 1.9} {
		x, y := powerLaw(300, 1, s, uint64(10+i))
		fit, err := FitLogLog(x, y)
		if err != nil {
			t.Fatal(err)
		}
		series = append(series, XYSeries{Name: []string{"CNN/CIFAR/CE", "MLP/MNIST/CE", "MLP/MNIST/MSE"}[i], X: x, Y: y, Fit: &fit, Offset: float64(2 * i)})
	}
	loglog := Must(LogLog(LogLogSpec{Title: "C_ii vs H_ii (empirical)", XName: "H_ii", YName: "C_ii", Series: series}))
	ep := []float64{1, 10, 30, 50, 70, 80, 90, 100}
	gamma := Must(Lines(LineSpec{Title: "fitted γ vs epoch", XName: "epoch", YName: "γ",
		Series: []XYSeries{{Name: "C", X: ep, Y: []float64{1.1, 1.3, 1.45, 1.5, 1.55, 1.56, 1.57, 1.57}},
			{Name: "C_AWD", X: ep, Y: []float64{1.0, 1.6, 1.8, 1.85, 1.9, 1.9, 1.92, 1.93}}},
		Refs: []RefLine{{Y: 1, Label: "γ = 1"}, {Y: 2, Label: "γ = 2"}}}))
	var sp []Spectrum
	for _, a := range []float64{1, 1.5} {
		v := make([]float64, 200)
		for k := range v {
			v[k] = math.Pow(float64(k+1), -a)
		}
		sp = append(sp, Spectrum{Name: "decay " + strconvF(a), Values: v})
	}
	spectra := Must(Spectra(SpectraSpec{Title: "spectra vs rank", Series: sp}))
	r := rand.New(rand.NewPCG(5, 5^0x9E3779B97F4A7C15))
	n := 30
	z := make([][]float64, n)
	for i := range z {
		z[i] = make([]float64, n)
		for j := range z[i] {
			z[i][j] = r.NormFloat64() * 1e-3
		}
		z[i][i] = math.Pow(10, -float64(i)/6)
	}
	heat := Must(HeatMap(HeatMapSpec{Title: "symlog V^T C V", Z: Symlog(z, 1e-4), ValueName: "symlog"}))
	var a, b []float64
	for i := 0; i < 2000; i++ {
		a = append(a, r.NormFloat64())
		b = append(b, 0.5+1.3*r.NormFloat64())
	}
	hist := Must(Histogram(HistogramSpec{Title: "histogram", XName: "value", Series: []HistSeries{{Name: "a", Values: a}, {Name: "b", Values: b}}}))
	small := func(title string, s float64) *Figure {
		x, y := powerLaw(100, 1, s, 99)
		f := Must(LogLog(LogLogSpec{Title: title, Series: []XYSeries{{Name: "pts", X: x, Y: y}}}))
		f.Height = 280
		return f
	}
	grid := NewGrid("small multiples", 3, small("H vs C", 1.5), small("H vs F", 1.0), small("C vs F", 0.7))
	return []Item{loglog, gamma, spectra, heat, hist, grid}
}

func needChromium(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("Chromium rendering is slow; skipped with -short")
	}
	if _, err := FindChromium(); err != nil {
		// CI must not pass by skipping: there a missing Chromium is a failure.
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skipf("SKIPPED, no chart is drawn: %v (scripts/test-deps.sh says how to install it)", err)
	}
}

// TestPageDrawsInChromium renders every chart kind offline and checks the markers; one
// deliberately broken figure must be marked error. NOISECURV_VIZ_DEMO=dir keeps the page.
func TestPageDrawsInChromium(t *testing.T) {
	needChromium(t)
	// The production ECharts build ignores unknown series types, so break a formatter:
	// ECharts renders synchronously inside setOption, and the exception must be caught.
	broken := NewFigure("broken", map[string]any{
		"xAxis": map[string]any{"type": "value"}, "yAxis": map[string]any{"type": "value"},
		"series": []any{map[string]any{"type": "line", "data": [][2]float64{{1, 1}, {2, 2}},
			"label": map[string]any{"show": true, "formatter": JS("function(){throw new Error('deliberate failure');}")}}},
	})
	p := &Page{Title: "viz demo"}
	p.Add("All chart kinds", demoFigures(t)...)
	p.Add("A broken chart (expected error)", broken)
	dir := t.TempDir()
	if d := os.Getenv("NOISECURV_VIZ_DEMO"); d != "" {
		dir = d
	}
	path := filepath.Join(dir, "viz-demo.html")
	if err := p.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	dom, err := DumpDOM(context.Background(), path, 20000)
	if err != nil {
		t.Fatal(err)
	}
	ms := ParseCharts(dom)
	if len(ms) != 9 {
		t.Fatalf("found %d chart markers, want 9 (5 + 3 in the grid + broken)", len(ms))
	}
	for i, m := range ms[:8] {
		if m.Status != "ok" {
			t.Errorf("chart %d (%s %q) status %q: %s", i, m.ID, m.Title, m.Status, m.Error)
		}
	}
	if last := ms[8]; last.Status != "error" || !strings.Contains(last.Error, "deliberate failure") || last.Title != "broken" {
		t.Errorf("broken chart = %+v, want error with the message", last)
	}
	if !strings.Contains(dom, "<svg") {
		t.Errorf("no SVG in the rendered page")
	}
	// The spectra panel reports the decades its log axes span; the γ-vs-epoch lines have none.
	if d := ms[2].LogDecades; d < 2 || d > DefaultMaxDecades {
		t.Errorf("spectra chart: %s = %v, want 2..%d", LogDecadesAttr, d, DefaultMaxDecades)
	}
	if d := ms[1].LogDecades; d != 0 {
		t.Errorf("linear chart: %s = %v, want 0", LogDecadesAttr, d)
	}
}

// TestLogDecadesMarker draws a raw option whose log axis spans 30 decades (what near-null
// directions did to the C vs H panels) and checks that the marker cmd/nbcheck reads says so.
func TestLogDecadesMarker(t *testing.T) {
	needChromium(t)
	f := NewFigure("30 decades", map[string]any{
		"xAxis":  map[string]any{"type": "log"},
		"yAxis":  map[string]any{"type": "value"},
		"series": []any{map[string]any{"type": "scatter", "data": [][2]float64{{1e-30, 1}, {1, 2}}}},
	})
	p := &Page{Title: "decades"}
	p.Add("", f)
	path := filepath.Join(t.TempDir(), "decades.html")
	if err := p.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	dom, err := DumpDOM(context.Background(), path, 20000)
	if err != nil {
		t.Fatal(err)
	}
	ms := ParseCharts(dom)
	if len(ms) != 1 || ms[0].Status != "ok" || ms[0].LogDecades < 29 {
		t.Errorf("markers %+v, want one ok chart spanning >= 29 decades", ms)
	}
}

func TestMissingLoaderMarksError(t *testing.T) {
	needChromium(t)
	f := Must(Lines(LineSpec{Title: "no loader", Series: []XYSeries{{Y: []float64{1, 2}}}}))
	snip, _ := f.HTML()
	path := filepath.Join(t.TempDir(), "noloader.html")
	if err := os.WriteFile(path, []byte("<!DOCTYPE html><html><body>"+snip+"</body></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, err := DumpDOM(context.Background(), path, WaitForEChartsMS+5000)
	if err != nil {
		t.Fatal(err)
	}
	ms := ParseCharts(dom)
	if len(ms) != 1 || ms[0].Status != "error" || !strings.Contains(ms[0].Error, "viz.Setup()") {
		t.Errorf("chart without loader: markers %+v, want one error naming viz.Setup()", ms)
	}
}

func TestExportPNGAndSVG(t *testing.T) {
	needChromium(t)
	x, y := powerLaw(50, 1, 1.5, 7)
	f := Must(LogLog(LogLogSpec{Title: "export", Series: []XYSeries{{Name: "s", X: x, Y: y}}}))
	f.Width, f.Height = 600, 400
	dir := t.TempDir()
	if err := f.WritePNG(filepath.Join(dir, "f.png")); err != nil {
		t.Fatal(err)
	}
	png, _ := os.ReadFile(filepath.Join(dir, "f.png"))
	if !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 5000 {
		t.Errorf("PNG looks wrong: %d bytes", len(png))
	}
	if err := f.WriteSVG(filepath.Join(dir, "f.svg")); err != nil {
		t.Fatal(err)
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "f.svg"))
	if !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("xmlns")) || !bytes.Contains(svg, []byte("</svg>")) {
		t.Errorf("SVG looks wrong: %.300s", svg)
	}
}

func TestNoChromiumError(t *testing.T) {
	t.Setenv("NOISECURV_CHROMIUM", filepath.Join(t.TempDir(), "absent"))
	f := Must(Lines(LineSpec{Series: []XYSeries{{Y: []float64{1, 2}}}}))
	err := f.WritePNG(filepath.Join(t.TempDir(), "x.png"))
	if err == nil || !strings.Contains(err.Error(), "Chromium not found") {
		t.Errorf("WritePNG without Chromium: err = %v", err)
	}
}
