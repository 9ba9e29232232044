package viz

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// optionOf decodes a figure's option as plain JSON (JS values stay marked strings).
func optionOf(t *testing.T, f *Figure) map[string]any {
	t.Helper()
	raw, err := json.Marshal(f.Option)
	if err != nil {
		t.Fatalf("marshal option: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("unmarshal option: %v", err)
	}
	return m
}

func seriesList(t *testing.T, opt map[string]any) []map[string]any {
	t.Helper()
	raw, ok := opt["series"].([]any)
	if !ok {
		t.Fatalf("option has no series list: %T", opt["series"])
	}
	out := make([]map[string]any, len(raw))
	for i, s := range raw {
		out[i] = s.(map[string]any)
	}
	return out
}

func points(t *testing.T, s map[string]any) [][]float64 {
	t.Helper()
	var out [][]float64
	for _, p := range s["data"].([]any) {
		var row []float64
		for _, v := range p.([]any) {
			row = append(row, v.(float64))
		}
		out = append(out, row)
	}
	return out
}

// powerLaw returns n points y = c x^s · noise, seeded.
func powerLaw(n int, c, s float64, seed uint64) (x, y []float64) {
	r := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	for i := 0; i < n; i++ {
		xi := math.Pow(10, -4+3*r.Float64())
		x = append(x, xi)
		y = append(y, c*math.Pow(xi, s)*math.Exp(0.2*r.NormFloat64()))
	}
	return x, y
}

func TestLogLogOption(t *testing.T) {
	x1, y1 := powerLaw(200, 1, 1.5, 1)
	x2, y2 := powerLaw(150, 3, 1.2, 2)
	fit1, err := FitLogLog(x1, y1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(fit1.Slope-1.5) > 0.05 || fit1.R2 < 0.9 {
		t.Fatalf("FitLogLog = %+v, want slope≈1.5, high R²", fit1)
	}
	f, err := LogLog(LogLogSpec{
		Title: "C_ii vs H_ii", XName: "H_ii", YName: "C_ii",
		Series: []XYSeries{
			{Name: "MLP/MNIST/CE", X: x1, Y: y1, Fit: &fit1},
			{Name: "MLP/MNIST/MSE", X: x2, Y: y2, Fit: &Fit{Slope: 1.2, Intercept: math.Log10(3), R2: 0.97}, Offset: 2},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	opt := optionOf(t, f)
	for _, ax := range []string{"xAxis", "yAxis"} {
		if typ := opt[ax].(map[string]any)["type"]; typ != "log" {
			t.Errorf("%s type = %v, want log", ax, typ)
		}
	}
	if opt["xAxis"].(map[string]any)["name"] != "H_ii" || opt["yAxis"].(map[string]any)["name"] != "C_ii" {
		t.Errorf("axis names wrong: %v / %v", opt["xAxis"], opt["yAxis"])
	}
	if opt["animation"] != false {
		t.Errorf("animation = %v, want false", opt["animation"])
	}
	if opt["title"].(map[string]any)["text"] != "C_ii vs H_ii" {
		t.Errorf("title = %v", opt["title"])
	}
	ss := seriesList(t, opt)
	// scatter + fit for each series, then the two guides.
	if len(ss) != 6 {
		t.Fatalf("got %d series, want 6", len(ss))
	}
	wantTypes := []string{"scatter", "line", "scatter", "line", "line", "line"}
	for i, s := range ss {
		if s["type"] != wantTypes[i] {
			t.Errorf("series %d type = %v, want %s", i, s["type"], wantTypes[i])
		}
	}
	legend := opt["legend"].(map[string]any)["data"].([]any)
	want0 := "MLP/MNIST/CE: slope " + fmtf(fit1.Slope) + ", R² " + fmtf(fit1.R2) + ", n=200"
	if legend[0] != want0 {
		t.Errorf("legend[0] = %q, want %q", legend[0], want0)
	}
	if l := legend[1].(string); !strings.Contains(l, "(×1e2)") || !strings.Contains(l, "slope 1.200, R² 0.970") {
		t.Errorf("legend[1] = %q, want offset note and slope/R²", l)
	}
	if legend[2] != "slope 1" || legend[3] != "slope 2" {
		t.Errorf("guide legend = %v %v", legend[2], legend[3])
	}
	// Scatter and fit line share the legend name so one click toggles both.
	if ss[0]["name"] != ss[1]["name"] {
		t.Errorf("scatter and fit names differ: %v / %v", ss[0]["name"], ss[1]["name"])
	}
	// Offset: displayed y = 100 · y.
	p := points(t, ss[2])
	if math.Abs(p[0][1]/y2[0]-100) > 1e-9 {
		t.Errorf("offset series y = %v, want 100 × %v", p[0][1], y2[0])
	}
	// Guides have slopes 1 and 2 in log space and stay within the data's y range.
	for gi, want := range []float64{1, 2} {
		g := points(t, ss[4+gi])
		slope := (math.Log10(g[1][1]) - math.Log10(g[0][1])) / (math.Log10(g[1][0]) - math.Log10(g[0][0]))
		if math.Abs(slope-want) > 1e-9 {
			t.Errorf("guide %d slope = %v, want %v", gi, slope, want)
		}
		if ss[4+gi]["lineStyle"].(map[string]any)["type"] != "dashed" {
			t.Errorf("guide %d not dashed", gi)
		}
	}
	// Fit line follows y = 10^b x^s.
	fl := points(t, ss[1])
	if want := math.Pow(10, fit1.Intercept) * math.Pow(fl[0][0], fit1.Slope); math.Abs(fl[0][1]/want-1) > 1e-12 {
		t.Errorf("fit line y = %v, want %v", fl[0][1], want)
	}
	// Rendered snippet: log axes get the JS tick formatter, unquoted.
	snip, err := f.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(snip, `"formatter":function(v){`) {
		t.Errorf("JS formatter not unquoted in snippet")
	}
	if strings.Contains(snip, "__f__") {
		t.Errorf("JS marker left in snippet")
	}
}

func fmtf(v float64) string { return strconvF(v) }

func TestLogLogGuidesOff(t *testing.T) {
	f, err := LogLog(LogLogSpec{Series: []XYSeries{{Name: "a", X: []float64{1, 10}, Y: []float64{1, 10}}}, Guides: []float64{}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(seriesList(t, optionOf(t, f))); n != 1 {
		t.Errorf("got %d series with Guides empty, want 1", n)
	}
}

func TestNonPositiveOnLogAxisRejected(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5}
	y := []float64{1, 2, 3, -0.5, 5}
	_, err := LogLog(LogLogSpec{Series: []XYSeries{{Name: "ok", X: x, Y: x}, {Name: "MLP/MNIST/MSE", X: x, Y: y}}})
	if err == nil {
		t.Fatal("LogLog accepted a negative y")
	}
	for _, want := range []string{`"MLP/MNIST/MSE"`, "y[3]", "-0.5", "not positive", "MaskPositive"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	x2 := []float64{1, 0, 3, 4, 5}
	if _, err := LogLog(LogLogSpec{Series: []XYSeries{{Name: "s", X: x2, Y: x}}}); err == nil || !strings.Contains(err.Error(), "x[1]") {
		t.Errorf("zero x: err = %v, want one naming x[1]", err)
	}
	if _, err := Lines(LineSpec{LogY: true, Series: []XYSeries{{Name: "g", Y: []float64{1, 0}}}}); err == nil || !strings.Contains(err.Error(), "y[1]") {
		t.Errorf("Lines LogY zero: err = %v", err)
	}
	if _, err := Spectra(SpectraSpec{Series: []Spectrum{{Name: "H", Values: []float64{3, 2, 1, -1e-9}}}}); err == nil || !strings.Contains(err.Error(), `"H"`) || !strings.Contains(err.Error(), "y[3]") {
		t.Errorf("Spectra negative: err = %v", err)
	}
	if _, err := Lines(LineSpec{Series: []XYSeries{{Name: "g", Y: []float64{1, math.NaN()}}}}); err == nil || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("NaN: err = %v", err)
	}
	// Masking is explicit and reported.
	f, err := LogLog(LogLogSpec{Series: []XYSeries{{Name: "MSE", X: x, Y: y, Mask: true}}})
	if err != nil {
		t.Fatal(err)
	}
	opt := optionOf(t, f)
	if l := opt["legend"].(map[string]any)["data"].([]any)[0].(string); !strings.Contains(l, "1 of 5 dropped") {
		t.Errorf("masked legend = %q, want drop count", l)
	}
	if n := len(points(t, seriesList(t, opt)[0])); n != 4 {
		t.Errorf("masked series has %d points, want 4", n)
	}
}

func TestMaskPositive(t *testing.T) {
	mx, my, rep := MaskPositive(nil, []float64{5, 0, 3, math.NaN(), -1, 1}, true, true)
	if rep.Total != 6 || rep.Kept != 3 || rep.NonPositive != 2 || rep.NonFinite != 1 {
		t.Fatalf("report = %+v", rep)
	}
	if want := []float64{1, 3, 6}; !slices.Equal(mx, want) {
		t.Errorf("ranks kept = %v, want %v", mx, want)
	}
	if want := []float64{5, 3, 1}; !slices.Equal(my, want) {
		t.Errorf("values kept = %v, want %v", my, want)
	}
	if s := rep.String(); s != "kept 3/6 (2 non-positive, 1 non-finite)" {
		t.Errorf("String = %q", s)
	}
}

func TestLinesRefsAndOffsets(t *testing.T) {
	ep := []float64{1, 10, 30, 50}
	f, err := Lines(LineSpec{
		Title: "gamma vs epoch", XName: "epoch", YName: "γ",
		Series: []XYSeries{{Name: "C", X: ep, Y: []float64{1.2, 1.4, 1.5, 1.6}}, {Name: "C shifted", X: ep, Y: []float64{1, 1, 1, 1}, Offset: 0.5}},
		Refs:   []RefLine{{Y: 1, Label: "γ = 1"}, {Y: 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	opt := optionOf(t, f)
	ss := seriesList(t, opt)
	if len(ss) != 4 {
		t.Fatalf("got %d series, want 2 data + 2 refs", len(ss))
	}
	if opt["xAxis"].(map[string]any)["type"] != "value" {
		t.Errorf("x axis type = %v", opt["xAxis"].(map[string]any)["type"])
	}
	ref := points(t, ss[2])
	if ref[0][0] != 1 || ref[1][0] != 50 || ref[0][1] != 1 || ref[1][1] != 1 {
		t.Errorf("ref line γ=1 = %v, want from (1,1) to (50,1)", ref)
	}
	if ss[3]["name"] != "y = 2" {
		t.Errorf("default ref label = %v", ss[3]["name"])
	}
	if p := points(t, ss[1]); p[0][1] != 1.5 {
		t.Errorf("additive offset: y = %v, want 1.5", p[0][1])
	}
	if !strings.Contains(ss[1]["name"].(string), "(+0.5)") {
		t.Errorf("offset not in legend: %v", ss[1]["name"])
	}
	if _, err := Lines(LineSpec{LogY: true, Series: []XYSeries{{Y: []float64{1, 2}}}, Refs: []RefLine{{Y: 0}}}); err == nil {
		t.Errorf("ref at 0 on a log axis accepted")
	}
}

func TestSpectra(t *testing.T) {
	f, err := Spectra(SpectraSpec{Title: "spectra", Normalize: true, Series: []Spectrum{
		{Name: "H", Values: []float64{4, 2, 1}},
		{Name: "C", Values: []float64{8, 4, -1, 1}, Mask: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	opt := optionOf(t, f)
	if opt["xAxis"].(map[string]any)["type"] != "log" || opt["yAxis"].(map[string]any)["type"] != "log" {
		t.Errorf("spectra axes not log-log")
	}
	ss := seriesList(t, opt)
	if p := points(t, ss[0]); p[2][0] != 3 || p[2][1] != 0.25 {
		t.Errorf("normalized spectrum point = %v, want rank 3, 0.25", p[2])
	}
	if p := points(t, ss[1]); len(p) != 3 || p[2][0] != 4 {
		t.Errorf("masked spectrum = %v, want rank 4 kept as rank 4", p)
	}
}

func TestHeatMap(t *testing.T) {
	z := Symlog([][]float64{{1, -10, 100}, {0, 1e-3, -1e3}}, 1)
	if math.Abs(z[0][1]+math.Log10(11)) > 1e-12 || z[1][0] != 0 {
		t.Errorf("Symlog wrong: %v", z)
	}
	f, err := HeatMap(HeatMapSpec{Title: "V^T A V", Z: z, XLabels: []string{"a", "b", "c"}, ValueName: "symlog"})
	if err != nil {
		t.Fatal(err)
	}
	opt := optionOf(t, f)
	xa, ya := opt["xAxis"].(map[string]any), opt["yAxis"].(map[string]any)
	if xa["type"] != "category" || ya["type"] != "category" {
		t.Errorf("heat map axes must be categories")
	}
	if got := xa["data"].([]any); len(got) != 3 || got[0] != "a" || got[2] != "c" {
		t.Errorf("x categories = %v", got)
	}
	if got := ya["data"].([]any); len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Errorf("default y categories = %v", got)
	}
	if ya["inverse"] != true {
		t.Errorf("row 0 must be at the top (inverse y)")
	}
	vm := opt["visualMap"].(map[string]any)
	if vm["max"].(float64) != math.Log10(1001) || vm["min"].(float64) != -math.Log10(1001) {
		t.Errorf("visualMap range = [%v, %v], want symmetric ±log10(1001)", vm["min"], vm["max"])
	}
	hs := seriesList(t, opt)[0]
	if hs["type"] != "heatmap" || len(hs["data"].([]any)) != 6 {
		t.Errorf("heatmap series = %v with %d cells", hs["type"], len(hs["data"].([]any)))
	}
	// Cell [x=2, y=1] holds Z[1][2].
	cell := hs["data"].([]any)[5].([]any)
	if cell[0].(float64) != 2 || cell[1].(float64) != 1 || math.Abs(cell[2].(float64)-z[1][2]) > 1e-3 {
		t.Errorf("last cell = %v, want [2 1 %v]", cell, z[1][2])
	}
	if _, err := HeatMap(HeatMapSpec{Z: [][]float64{{1, 2}, {3}}}); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("ragged matrix: err = %v", err)
	}
	if _, err := HeatMap(HeatMapSpec{Z: [][]float64{{1, 2}}, XLabels: []string{"a"}}); err == nil {
		t.Errorf("label count mismatch accepted")
	}
}

func TestHistogram(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3^0x9E3779B97F4A7C15))
	var a, b []float64
	for i := 0; i < 500; i++ {
		a = append(a, r.NormFloat64())
		b = append(b, 1+r.NormFloat64())
	}
	f, err := Histogram(HistogramSpec{Title: "h", XName: "v", Bins: 20, Series: []HistSeries{{Name: "a", Values: a}, {Name: "b", Values: b}}})
	if err != nil {
		t.Fatal(err)
	}
	opt := optionOf(t, f)
	if n := len(opt["xAxis"].(map[string]any)["data"].([]any)); n != 20 {
		t.Errorf("%d bin labels, want 20", n)
	}
	for i, s := range seriesList(t, opt) {
		sum := 0.0
		for _, v := range s["data"].([]any) {
			sum += v.(float64)
		}
		if s["type"] != "bar" || sum != 500 {
			t.Errorf("series %d: type %v, counts sum to %v, want bar and 500 (max value must be counted)", i, s["type"], sum)
		}
	}
	f, err = Histogram(HistogramSpec{Bins: 4, LogCounts: true, Series: []HistSeries{{Name: "c", Values: []float64{0, 0, 0, 3}}}})
	if err != nil {
		t.Fatal(err)
	}
	d := seriesList(t, optionOf(t, f))[0]["data"].([]any)
	if d[0].(float64) != 3 || d[1] != "-" || d[3].(float64) != 1 {
		t.Errorf("log-count bins = %v, want [3 - - 1]", d)
	}
	if _, err := Histogram(HistogramSpec{LogBins: true, Series: []HistSeries{{Name: "neg", Values: []float64{1, -1}}}}); err == nil || !strings.Contains(err.Error(), "value[1]") {
		t.Errorf("LogBins negative: err = %v", err)
	}
}

func TestEscaping(t *testing.T) {
	evil := `</script><script>alert(1)</script><!--`
	f, err := Lines(LineSpec{Title: evil, XName: evil, Series: []XYSeries{{Name: evil, Y: []float64{1, 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	js, err := f.OptionJSON()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(js, []byte("</")) || bytes.Contains(js, []byte("<!--")) {
		t.Errorf("option JSON contains an unescaped </ or <!--: %s", js)
	}
	if !bytes.Contains(js, []byte(`<\/script>`)) {
		t.Errorf("expected <\\/script> in %s", js)
	}
	snip, err := f.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(snip, "</script>"); n != 1 {
		t.Errorf("snippet has %d </script>, want exactly 1 (its own)", n)
	}
	if strings.Contains(snip, `data-chart-title="</script>`) {
		t.Errorf("title attribute not escaped")
	}
}

func TestPageOneLoaderNCharts(t *testing.T) {
	mk := func(name string) *Figure {
		return Must(Lines(LineSpec{Title: name, Series: []XYSeries{{Name: name, Y: []float64{1, 2, 3}}}}))
	}
	p := &Page{Title: "report"}
	p.Add("intro", Text("Line one.\n\nLine <two>."), &Table{Header: []string{"a", "b"}, Rows: [][]string{{"1", "2"}}})
	p.Add("figures", mk("f1"), mk("f2"), NewGrid("grid", 2, mk("g1"), mk("g2"), mk("g3")))
	out, err := p.HTML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if n := strings.Count(s, "loaded by noisecurv/lib/viz"); n != 1 {
		t.Errorf("%d loaders, want 1", n)
	}
	divs := regexp.MustCompile(`<div id="([^"]+)" class="`+ChartClass+`"`).FindAllStringSubmatch(s, -1)
	if len(divs) != 5 {
		t.Errorf("%d chart divs, want 5", len(divs))
	}
	seen := map[string]bool{}
	for _, d := range divs {
		if seen[d[1]] {
			t.Errorf("duplicate id %s", d[1])
		}
		seen[d[1]] = true
	}
	if !strings.Contains(s, "Line &lt;two&gt;.") || !strings.Contains(s, `tabular-nums;vertical-align:top">2</td>`) {
		t.Errorf("text or table missing/unescaped")
	}
	again, _ := p.HTML()
	if !bytes.Equal(out, again) {
		t.Errorf("page rendering is not deterministic")
	}
	path := filepath.Join(t.TempDir(), "sub", "report.html")
	if err := p.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, out) {
		t.Errorf("WriteFile content differs (err %v)", err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("temp files left behind: %v", ents)
	}
}

func TestInlineIDsUniqueAndShowErrors(t *testing.T) {
	f := Must(Lines(LineSpec{Series: []XYSeries{{Y: []float64{1, 2}}}}))
	a, _ := f.HTML()
	b, _ := f.HTML()
	id := regexp.MustCompile(`id="([^"]+)"`)
	if id.FindStringSubmatch(a)[1] == id.FindStringSubmatch(b)[1] {
		t.Errorf("two renders share an id")
	}
	var nilFig *Figure
	s, err := ShowHTML(f, nilFig, Text("x"))
	if err == nil || !strings.Contains(err.Error(), "item 1 is nil") {
		t.Errorf("ShowHTML(nil figure) err = %v", err)
	}
	if strings.Count(s, StatusAttr+`="error"`) != 1 || strings.Count(s, StatusAttr+`="pending"`) != 1 {
		t.Errorf("ShowHTML output lacks the error marker or the chart:\n%s", s)
	}
	if !strings.Contains(SetupHTML(), "if(window.echarts){return;}var d=window.define;window.define=undefined;") {
		t.Errorf("loader does not guard window.echarts / hide window.define")
	}
}

func TestBundle(t *testing.T) {
	js := EChartsJS()
	if len(js) < 900_000 || !strings.Contains(js, "5.4.3") {
		t.Fatalf("embedded bundle looks wrong: %d bytes", len(js))
	}
	if strings.Contains(strings.ToLower(js), "</script") || strings.Contains(js, "<!--") {
		t.Errorf("bundle contains </script or <!--")
	}
	for _, f := range []string{"LICENSE", "NOTICE", "LICENSE-d3"} {
		if _, err := os.Stat(filepath.Join("assets", f)); err != nil {
			t.Errorf("assets/%s missing: %v", f, err)
		}
	}
}

func TestFromChart(t *testing.T) {
	sc := charts.NewScatter()
	sc.SetGlobalOptions(charts.WithXAxisOpts(opts.XAxis{Type: "log"}),
		charts.WithTooltipOpts(opts.Tooltip{Formatter: opts.FuncOpts("function(p){return p.name;}")}))
	sc.AddSeries("s", []opts.ScatterData{{Value: []float64{1, 2}}, {Value: []float64{10, 20}}})
	f, err := FromChart("go-echarts", sc)
	if err != nil {
		t.Fatal(err)
	}
	js, err := f.OptionJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"formatter":function(p){return p.name;}`)) {
		t.Errorf("go-echarts FuncOpts not unquoted: %s", js)
	}
	if !bytes.Contains(js, []byte(`"type":"log"`)) || !bytes.Contains(js, []byte(`"type":"scatter"`)) {
		t.Errorf("go-echarts option lost: %s", js)
	}
}

func strconvF(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// captureStderr sends what the package writes to stderr into the returned buffer until t ends.
func captureStderr(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	old := stderrOut
	stderrOut = &buf
	t.Cleanup(func() { stderrOut = old })
	return &buf
}

func TestProgressOutsideNotebook(t *testing.T) {
	buf := captureStderr(t)
	p := NewProgress("train", 4)
	p.Update(1, "epoch 1") // first update prints
	p.Update(2, "epoch 2") // throttled
	p.Update(4, "epoch 4") // completion always prints
	p.Done("loss 0.1")
	p.Done("again") // no second final line
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "train: 1/4 (25%)") || !strings.Contains(lines[1], "4/4 (100%)") ||
		!strings.HasSuffix(lines[2], "loss 0.1 done") {
		t.Errorf("progress lines:\n%s", buf.String())
	}
}

// TestProgressRestart: a restarted bar counts the new task from zero under its new label.
func TestProgressRestart(t *testing.T) {
	buf := captureStderr(t)
	p := NewProgress("run-a train", 4)
	p.Update(4, "")
	p.Restart("run-a analyze", 2)
	p.Update(1, "fc2: dense")
	p.Done("")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "run-a train: 4/4") || !strings.HasPrefix(lines[1], "run-a analyze: 1/2 (50%)") ||
		!strings.HasSuffix(lines[2], "done") {
		t.Errorf("progress lines:\n%s", buf.String())
	}
}

// TestTasks: one bar across tasks, restarted (counting from zero under the new label) only
// when the task changes.
func TestTasks(t *testing.T) {
	var buf bytes.Buffer
	old := stderrOut
	stderrOut = &buf
	defer func() { stderrOut = old }()
	var ts Tasks
	ts.Update("run-a train", 4, 4, "")
	bar := ts.bar
	ts.Update("run-a analyze", 1, 2, "fc2")
	ts.Update("run-a analyze", 2, 2, "fc3")
	if ts.bar != bar || bar.Label != "run-a analyze" || bar.Total != 2 {
		t.Errorf("bar %p (first %p): label %q total %d", ts.bar, bar, bar.Label, bar.Total)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "run-a train: 4/4") || !strings.HasPrefix(lines[1], "run-a analyze: 1/2") ||
		!strings.HasPrefix(lines[2], "run-a analyze: 2/2") {
		t.Errorf("progress lines:\n%s", buf.String())
	}
}

func TestTableAlignment(t *testing.T) {
	for c, want := range map[string]bool{
		"1.13": true, "-1.48e17": true, "1.126 [1.120, 1.132]": true, "0.96 ± 0.01": true,
		"277 : 4.1 : 0.31": true, "52.5%": true, "1.224 +- 0.003": true, "(3, 10)": true,
		"": false, "reproduced": false, "CE, C'=3": false, "gamma 1.13": false, "e": false, "-": false,
		"MNIST MLP 784-50-50-10": false,
	} {
		if got := isNumericCell(c); got != want {
			t.Errorf("isNumericCell(%q) = %v, want %v", c, got, want)
		}
	}
	tb := &Table{Header: []string{"what", "value"}, Rows: [][]string{{"a long prose cell", "1.5"}, {"b", "2e-3"}},
		Links: [][]string{{"#sec-x"}}}
	h, err := tb.renderHTML(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<th style="text-align:left">what</th>`, `<th style="text-align:right;font-variant-numeric:tabular-nums">value</th>`,
		`<td style="text-align:left;vertical-align:top"><a href="#sec-x">a long prose cell</a></td>`,
		`<td style="text-align:right;font-variant-numeric:tabular-nums;vertical-align:top">2e-3</td>`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("table HTML lacks %s:\n%s", want, h)
		}
	}
}

func TestPageTableOfContents(t *testing.T) {
	p := &Page{Title: "t"}
	p.Add("Summary", Text("x"))
	p.Sections = append(p.Sections, Section{Heading: "C4-C5 Power law", ID: "claim-C4-C5", Items: []Item{Text("y")}})
	p.Add("Beyond: the paper's γ (v2)", Text("z"))
	out, err := p.HTML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{
		`<li><a href="#sec-summary">Summary</a></li>`, `<li><a href="#claim-C4-C5">C4-C5 Power law</a></li>`,
		`<h2 id="claim-C4-C5">`, `<h2 id="sec-beyond-the-paper-s-v2">`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	p.Sections = p.Sections[:2]
	if out, _ := p.HTML(); strings.Contains(string(out), `<nav class="noisecurv-toc"`) {
		t.Errorf("a page with two sections got a table of contents")
	}
}

func TestHistogramRobustRange(t *testing.T) {
	// A ratio with a near-zero denominator: 1000 values near 1 and two at ±1.5e17. The data
	// range would put every ordinary value into one bar.
	r := rand.New(rand.NewPCG(5, 6))
	v := []float64{-1.48e17, 1.5e17}
	for i := 0; i < 1000; i++ {
		v = append(v, 1+0.1*r.NormFloat64())
	}
	f, err := Histogram(HistogramSpec{Title: "ratio", Bins: 20, Series: []HistSeries{{Name: "C/H", Values: v}}})
	if err != nil {
		t.Fatal(err)
	}
	opt := optionOf(t, f)
	s := seriesList(t, opt)[0]
	nonEmpty, sum := 0, 0.0
	for _, c := range s["data"].([]any) {
		if c.(float64) > 0 {
			nonEmpty++
		}
		sum += c.(float64)
	}
	if nonEmpty < 10 || sum != 1000 {
		t.Errorf("%d non-empty bins holding %v values, want >= 10 bins holding all 1000 ordinary values", nonEmpty, sum)
	}
	if name := s["name"].(string); !strings.Contains(name, "1 below") || !strings.Contains(name, "1 above") {
		t.Errorf("legend %q does not count the clipped tails", name)
	}
	full, _ := Histogram(HistogramSpec{Bins: 20, FullRange: true, Series: []HistSeries{{Name: "C/H", Values: v}}})
	if name := seriesList(t, optionOf(t, full))[0]["name"].(string); name != "C/H" {
		t.Errorf("FullRange: legend %q, want every value binned", name)
	}
	labels := opt["xAxis"].(map[string]any)["data"].([]any)
	for _, l := range labels {
		if x, _ := strconv.ParseFloat(l.(string), 64); math.Abs(x) > 10 {
			t.Errorf("bin label %v: the axis still stretches to the outliers", l)
		}
	}
}

func TestLogLogViewLimitsAxes(t *testing.T) {
	// 100 directions in a fit window over 1e-2..1, 400 near-null ones from 1e-30 to 1e-15.
	var x, y []float64
	for i := 0; i < 100; i++ {
		h := math.Pow(10, -2*float64(i)/99)
		x, y = append(x, h), append(y, h*h)
	}
	for i := 0; i < 400; i++ {
		h := math.Pow(10, -30+15*float64(i)/399)
		x, y = append(x, h), append(y, h)
	}
	fit := &Fit{Slope: 2, Intercept: 0, R2: 1, N: 100, XMin: 1e-2, XMax: 1}
	f, err := LogLog(LogLogSpec{Title: "C vs H", Series: []XYSeries{{Name: "CE", X: x, Y: y, Fit: fit}}})
	if err != nil {
		t.Fatal(err)
	}
	opt := optionOf(t, f)
	for _, ax := range []string{"xAxis", "yAxis"} {
		a := opt[ax].(map[string]any)
		lo, hi := a["min"].(float64), a["max"].(float64)
		if dec := math.Log10(hi / lo); dec > DefaultMaxDecades {
			t.Errorf("%s spans %g decades (%g..%g), want the window and its neighbourhood", ax, dec, lo, hi)
		}
		if a["splitNumber"].(float64) != math.Round(math.Log10(hi/lo)) {
			t.Errorf("%s: splitNumber %v, want one label per decade", ax, a["splitNumber"])
		}
	}
	name := seriesList(t, opt)[0]["name"].(string)
	if !strings.Contains(name, "[400 of 500 points beyond the axes]") {
		t.Errorf("legend %q does not count the near-null points", name)
	}
	// Without a fit the axes keep the top DefaultMaxDecades decades.
	f, _ = LogLog(LogLogSpec{Series: []XYSeries{{Name: "a", X: x, Y: y}}})
	a := optionOf(t, f)["xAxis"].(map[string]any)
	if dec := math.Log10(a["max"].(float64) / a["min"].(float64)); dec > DefaultMaxDecades+1 {
		t.Errorf("no fit: x axis spans %g decades", dec)
	}
}

func TestLinesEpochAxisStartsAtFirstEpoch(t *testing.T) {
	f, err := Lines(LineSpec{Series: []XYSeries{{Name: "γ", X: []float64{1, 10, 30, 100}, Y: []float64{1, 1.1, 1.12, 1.13}}}})
	if err != nil {
		t.Fatal(err)
	}
	a := optionOf(t, f)["xAxis"].(map[string]any)
	if a["min"] != 1.0 || a["max"] != 100.0 {
		t.Errorf("x axis %v..%v, want 1..100", a["min"], a["max"])
	}
}

func TestLogLogWideRangeLabelsEveryDecade(t *testing.T) {
	// Three series stacked 4 decades apart (Fig. 3): y spans 12 decades, beyond what an
	// ECharts log axis labels decade by decade, so y becomes log10 units, labelled 10^v.
	var ss []XYSeries
	for i := 0; i < 3; i++ {
		var x, y []float64
		for k := 0; k < 50; k++ {
			h := math.Pow(10, -2*float64(k)/49)
			x, y = append(x, h), append(y, h*h)
		}
		ss = append(ss, XYSeries{Name: strconv.Itoa(i), X: x, Y: y, Offset: float64(4 * i)})
	}
	f, err := LogLog(LogLogSpec{Series: ss})
	if err != nil {
		t.Fatal(err)
	}
	opt := optionOf(t, f)
	ya, xa := opt["yAxis"].(map[string]any), opt["xAxis"].(map[string]any)
	if ya["type"] != "value" || ya["interval"] != 1.0 || ya["min"] != -4.0 || ya["max"] != 8.0 {
		t.Errorf("y axis %v: want a value axis over log10 y from -4 to 8, one label per decade", ya)
	}
	if xa["type"] != "log" {
		t.Errorf("x axis (2 decades) type %v, want log", xa["type"])
	}
	p := seriesList(t, opt)[2]["data"].([]any)[0].([]any)
	if p[0].(float64) != 1 || p[1].(float64) != 8 {
		t.Errorf("first point of the third series = %v, want [1 8] (x linear, y = log10(1e8))", p)
	}
}

func TestSpectraAxisAtMostMaxDecades(t *testing.T) {
	// A spectrum from 0.09 down to 1e-30: the axis keeps 9 whole decades from 0.1 and counts
	// the rest (ECharts labels a log axis decade by decade only up to 9 decades).
	var v []float64
	for k := 0; k < 100; k++ {
		v = append(v, 0.09*math.Pow(10, -29*float64(k)/99))
	}
	f, err := Spectra(SpectraSpec{Series: []Spectrum{{Name: "C_ii", Values: v}}})
	if err != nil {
		t.Fatal(err)
	}
	opt := optionOf(t, f)
	ya := opt["yAxis"].(map[string]any)
	if lo, hi := ya["min"].(float64), ya["max"].(float64); math.Abs(math.Log10(hi/lo)-DefaultMaxDecades) > 1e-9 || math.Abs(hi-0.1) > 1e-12 {
		t.Errorf("y axis %g..%g, want %d decades down from 0.1", lo, hi, DefaultMaxDecades)
	}
	if name := seriesList(t, opt)[0]["name"].(string); !strings.Contains(name, "below the axis]") {
		t.Errorf("legend %q does not count the values below the axis", name)
	}
}
