package viz

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/gonum/stat"

	"github.com/noisecurv/noisecurv/lib/fit"
)

// numberFormatter prints axis ticks compactly: 1e-5, 2.5e3, 0.125.
const numberFormatter JS = `function(v){if(v===0){return '0';}var a=Math.abs(v);` +
	`if(a>=1e4||a<1e-3){var e=Math.floor(Math.log10(a)+1e-9);var m=Math.round(v/Math.pow(10,e)*100)/100;return m+'e'+e;}` +
	`return String(+v.toPrecision(4));}`

// XYSeries is one named series of points.
type XYSeries struct {
	Name string
	// X may be nil: then x = 1, 2, ..., len(Y).
	X, Y []float64
	// Fit, when set, is drawn as the power law y = 10^Intercept · x^Slope (LogLog only)
	// and its slope and R² are written into the legend entry.
	Fit *Fit
	// Offset shifts the series vertically for display: on a log axis y is multiplied by
	// 10^Offset (Offset counts decades), on a linear axis Offset is added. The legend
	// says so. Use it to separate several series in one panel (Fig. 3).
	Offset float64
	// Mask drops points a log axis cannot show (and NaN/Inf) and reports the count in the
	// legend entry. Without it such points are an error naming the series and index.
	Mask bool
}

// Fit is a power law fitted in log-log space: log10 y = Intercept + Slope · log10 x.
type Fit struct {
	Slope, Intercept float64
	R2               float64 // coefficient of determination of the log-log regression
	N                int     // number of points used (shown in the legend when > 0)
	// XMin, XMax is the x window the line is drawn over; zero means the series' x range.
	XMin, XMax float64
}

// FitLogLog fits log10 y = b + s log10 x by ordinary least squares on all points (which
// must be positive; mask first) and returns s, b and R² = 1 - SS_res/SS_tot in log space.
// lib/fit implements the paper's windowed fits; this is for quick looks and examples.
func FitLogLog(x, y []float64) (Fit, error) {
	if len(x) != len(y) {
		return Fit{}, fmt.Errorf("viz.FitLogLog: len(x) = %d but len(y) = %d", len(x), len(y))
	}
	if len(x) < 2 {
		return Fit{}, fmt.Errorf("viz.FitLogLog: need at least 2 points, got %d", len(x))
	}
	if err := checkPositive("FitLogLog", "", "x", x); err != nil {
		return Fit{}, err
	}
	if err := checkPositive("FitLogLog", "", "y", y); err != nil {
		return Fit{}, err
	}
	lx := make([]float64, len(x))
	ly := make([]float64, len(y))
	for i := range x {
		lx[i], ly[i] = math.Log10(x[i]), math.Log10(y[i])
	}
	b, s := stat.LinearRegression(lx, ly, nil, false)
	r2 := stat.RSquared(lx, ly, nil, b, s)
	return Fit{Slope: s, Intercept: b, R2: r2, N: len(x)}, nil
}

// RefLine is a horizontal reference line (e.g. γ = 1 and γ = 2).
type RefLine struct {
	Y     float64
	Label string // default "y = <Y>"
}

// LogLogSpec describes a Fig. 3 style panel: log-log scatter, fit lines, guides.
type LogLogSpec struct {
	Title, XName, YName string
	Series              []XYSeries
	// Guides are slopes of dashed guide lines through the centroid (in log space) of all
	// displayed points, clipped to the data box. nil means {1, 2}; an empty slice none.
	Guides []float64
	// MaxDecades bounds the axes when no series has a fit window (0: DefaultMaxDecades).
	// With fit windows the axes show the windows and a neighbourhood. Points outside the
	// axes are counted in their series' legend entry; points in view but outside their
	// series' fit window are drawn faded.
	MaxDecades    float64
	Width, Height int
}

// LineSpec describes lines vs a variable (e.g. fitted γ vs epoch) with reference lines.
type LineSpec struct {
	Title, XName, YName string
	LogX, LogY          bool
	Series              []XYSeries
	Refs                []RefLine
	// Symbols shows a marker at each point; by default only for series of ≤ 40 points.
	Symbols       bool
	Width, Height int
}

// Spectrum is one eigenvalue spectrum, sorted in the order to plot against rank 1..n.
type Spectrum struct {
	Name   string
	Values []float64
	// Mask drops non-positive values (keeping the others' ranks) and says how many in the legend.
	Mask bool
}

// SpectraSpec describes spectra vs rank on log axes (appendix: spectrum decay).
type SpectraSpec struct {
	Title string
	YName string // default "eigenvalue"
	// LinearRank uses a linear rank axis instead of a log one.
	LinearRank bool
	// Normalize divides each spectrum by its first value (λ_k/λ_1).
	Normalize     bool
	Series        []Spectrum
	Width, Height int
}

type xyKind int

const (
	kindScatter xyKind = iota
	kindLine
)

// prepared is a validated series ready for display.
type prepared struct {
	name   string
	x, y   []float64
	fit    *Fit
	color  string
	offset float64
}

// prepare validates one series, applies masking and offset, and builds its legend name.
func prepare(builder string, i int, s XYSeries, logX, logY bool) (prepared, error) {
	name := s.Name
	if name == "" {
		name = "series " + strconv.Itoa(i+1)
	}
	x := s.X
	if x == nil {
		x = make([]float64, len(s.Y))
		for k := range x {
			x[k] = float64(k + 1)
		}
	}
	if len(x) != len(s.Y) {
		return prepared{}, fmt.Errorf("viz.%s: series %q: len(X) = %d but len(Y) = %d", builder, name, len(x), len(s.Y))
	}
	if !isFinite(s.Offset) {
		return prepared{}, fmt.Errorf("viz.%s: series %q: Offset = %v is not finite", builder, name, s.Offset)
	}
	y := s.Y
	label := name
	if s.Mask {
		var rep MaskReport
		x, y, rep = MaskPositive(x, y, logX, logY)
		if rep.Dropped() > 0 {
			label += fmt.Sprintf(" [%d of %d dropped: %d ≤ 0, %d non-finite]", rep.Dropped(), rep.Total, rep.NonPositive, rep.NonFinite)
		}
	} else {
		if err := checkFinite(builder, name, "x", x); err != nil {
			return prepared{}, err
		}
		if err := checkFinite(builder, name, "y", y); err != nil {
			return prepared{}, err
		}
		if logX {
			if err := checkPositive(builder, name, "x", x); err != nil {
				return prepared{}, err
			}
		}
		if logY {
			if err := checkPositive(builder, name, "y", y); err != nil {
				return prepared{}, err
			}
		}
	}
	if s.Offset != 0 {
		shifted := make([]float64, len(y))
		for k, v := range y {
			if logY {
				shifted[k] = v * math.Pow(10, s.Offset)
			} else {
				shifted[k] = v + s.Offset
			}
		}
		y = shifted
		if logY {
			label += fmt.Sprintf(" (×1e%g)", s.Offset)
		} else {
			label += fmt.Sprintf(" (%+g)", s.Offset)
		}
	}
	if s.Fit != nil {
		f := *s.Fit
		if !isFinite(f.Slope) || !isFinite(f.Intercept) || !isFinite(f.R2) {
			return prepared{}, fmt.Errorf("viz.%s: series %q: fit has non-finite slope/intercept/R² (%v, %v, %v)", builder, name, f.Slope, f.Intercept, f.R2)
		}
		label += fmt.Sprintf(": slope %.3f, R² %.3f", f.Slope, f.R2)
		if f.N > 0 {
			label += fmt.Sprintf(", n=%d", f.N)
		}
	}
	return prepared{name: label, x: x, y: y, fit: s.Fit, color: Palette[i%len(Palette)], offset: s.Offset}, nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// valueAxis returns an ECharts value or log axis with readable tick labels.
func valueAxis(name string, log bool, gap int) map[string]any {
	t := "value"
	if log {
		t = "log"
	}
	ax := map[string]any{
		"type":          t,
		"name":          name,
		"nameLocation":  "middle",
		"nameGap":       gap,
		"nameTextStyle": map[string]any{"fontSize": 12},
		"axisLabel":     map[string]any{"formatter": numberFormatter},
		"splitLine":     map[string]any{"show": true, "lineStyle": map[string]any{"color": "#e8e8e8"}},
		"axisLine":      map[string]any{"onZero": false},
	}
	if log {
		ax["logBase"] = 10
	} else {
		// Let the data set the range (not forced through 0), with a margin so that
		// reference lines at the extremes are not hidden on the frame.
		ax["scale"] = true
		ax["boundaryGap"] = []string{"5%", "5%"}
	}
	return ax
}

func pairs(x, y []float64) [][2]float64 {
	out := make([][2]float64, len(x))
	for i := range x {
		out[i] = [2]float64{x[i], y[i]}
	}
	return out
}

func baseOption(legend []string) map[string]any {
	return map[string]any{
		"grid":    map[string]any{"left": 75, "right": 40, "top": 80, "bottom": 55},
		"legend":  map[string]any{"data": legend, "top": 26, "type": "scroll", "textStyle": map[string]any{"fontSize": 11}},
		"tooltip": map[string]any{"trigger": "item", "confine": true},
	}
}

// LogLog draws a log-log scatter with optional fit lines and slope guides (Fig. 3).
// Non-positive values are an error naming the series and index unless the series sets Mask.
func LogLog(spec LogLogSpec) (*Figure, error) {
	const b = "LogLog"
	if len(spec.Series) == 0 {
		return nil, fmt.Errorf("viz.%s %q: no series", b, spec.Title)
	}
	var ps []prepared
	for i, s := range spec.Series {
		p, err := prepare(b, i, s, true, true)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	// The view: the fitted windows and a neighbourhood around them, or, without fits, the
	// top MaxDecades decades of the data. Near-null directions (eigenvalues 1e-20 and below)
	// would otherwise stretch the axes over tens of decades and push the window into a corner.
	v := logView(ps, spec.MaxDecades)
	// Data box and centroid in log space over the points in view.
	lxMin, lxMax, lyMin, lyMax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	var sx, sy float64
	var n int
	for _, p := range ps {
		for k := range p.x {
			lx, ly := math.Log10(p.x[k]), math.Log10(p.y[k])
			if !v.in(lx, ly) {
				continue
			}
			lxMin, lxMax = math.Min(lxMin, lx), math.Max(lxMax, lx)
			lyMin, lyMax = math.Min(lyMin, ly), math.Max(lyMax, ly)
			sx += lx
			sy += ly
			n++
		}
	}
	var series []any
	var legend []string
	for _, p := range ps {
		size := 6
		if len(p.x) > 500 {
			size = 4
		}
		// Points in the fit window are drawn solid, other points in view faded (same legend
		// entry), points outside the view only counted in the legend.
		var inX, inY, outX, outY []float64
		hidden := 0
		for k := range p.x {
			lx, ly := math.Log10(p.x[k]), math.Log10(p.y[k])
			switch {
			case !v.in(lx, ly):
				hidden++
			case p.fit == nil || p.fit.contains(p.x[k]):
				inX, inY = append(inX, p.x[k]), append(inY, p.y[k])
			default:
				outX, outY = append(outX, p.x[k]), append(outY, p.y[k])
			}
		}
		name := p.name
		if hidden > 0 {
			name += fmt.Sprintf(" [%d of %d points beyond the axes]", hidden, len(p.x))
		}
		legend = append(legend, name)
		series = append(series, map[string]any{
			"type":       "scatter",
			"name":       name,
			"data":       pairs(inX, inY),
			"symbolSize": size,
			"itemStyle":  map[string]any{"color": p.color, "opacity": 0.6},
			"large":      len(inX) > 2000,
		})
		if len(outX) > 0 {
			series = append(series, map[string]any{
				"type":       "scatter",
				"name":       name,
				"data":       pairs(outX, outY),
				"symbolSize": size,
				"itemStyle":  map[string]any{"color": p.color, "opacity": 0.15},
				"large":      len(outX) > 2000,
			})
		}
		if p.fit != nil && len(p.x) > 0 {
			x0, x1 := p.fit.XMin, p.fit.XMax
			if !(x0 > 0) {
				x0 = math.Max(fit.Min(p.x), math.Pow(10, v.x0))
			}
			if !(x1 > 0) {
				x1 = math.Min(fit.Max(p.x), math.Pow(10, v.x1))
			}
			line := func(x float64) float64 { return math.Pow(10, p.fit.Intercept+p.offset) * math.Pow(x, p.fit.Slope) }
			series = append(series, map[string]any{
				"type":       "line",
				"name":       name,
				"data":       [][2]float64{{x0, line(x0)}, {x1, line(x1)}},
				"showSymbol": false,
				"lineStyle":  map[string]any{"color": p.color, "width": 2},
				"itemStyle":  map[string]any{"color": p.color},
				"z":          3,
			})
		}
	}
	guides := spec.Guides
	if guides == nil {
		guides = []float64{1, 2}
	}
	if n > 0 {
		cx, cy := sx/float64(n), sy/float64(n)
		grays := []string{"#555555", "#999999", "#bbbbbb"}
		for gi, s := range guides {
			if !isFinite(s) {
				return nil, fmt.Errorf("viz.%s %q: guide slope %v is not finite", b, spec.Title, s)
			}
			seg, ok := clipGuide(cx, cy, s, lxMin, lxMax, lyMin, lyMax)
			if !ok {
				continue
			}
			name := fmt.Sprintf("slope %g", s)
			legend = append(legend, name)
			series = append(series, map[string]any{
				"type":       "line",
				"name":       name,
				"data":       seg,
				"showSymbol": false,
				"lineStyle":  map[string]any{"color": grays[gi%len(grays)], "type": "dashed", "width": 1.5},
				"itemStyle":  map[string]any{"color": grays[gi%len(grays)]},
				"tooltip":    map[string]any{"show": false},
				"z":          1,
			})
		}
	}
	opt := baseOption(legend)
	// The legend entries are long (slope, R², n): stack them inside the plot's upper-left
	// corner, as in the paper's panels, where rising log-log data leaves room.
	opt["legend"] = map[string]any{
		"data": legend, "orient": "vertical", "left": 85, "top": 45,
		"backgroundColor": "rgba(255,255,255,0.85)", "borderColor": "#cccccc", "borderWidth": 1,
		"padding": 6, "itemGap": 4, "textStyle": map[string]any{"fontSize": 11},
	}
	opt["grid"] = map[string]any{"left": 75, "right": 40, "top": 40, "bottom": 55}
	xa, tx := decadeAxis(spec.XName, 30, lxMin, lxMax)
	ya, ty := decadeAxis(spec.YName, 55, lyMin, lyMax)
	if tx || ty {
		for _, sr := range series {
			m := sr.(map[string]any)
			pts := m["data"].([][2]float64)
			out := make([][2]float64, len(pts))
			for k, p := range pts {
				out[k] = p
				if tx {
					out[k][0] = math.Log10(p[0])
				}
				if ty {
					out[k][1] = math.Log10(p[1])
				}
			}
			m["data"] = out
		}
		opt["tooltip"] = map[string]any{"trigger": "item", "confine": true, "formatter": JS(fmt.Sprintf(
			`function(p){var f=%s;var x=p.value[0],y=p.value[1];return p.seriesName+"<br>"+f(%s)+", "+f(%s);}`,
			numberFormatter, map[bool]string{true: "Math.pow(10,x)", false: "x"}[tx], map[bool]string{true: "Math.pow(10,y)", false: "y"}[ty]))}
	}
	opt["xAxis"] = xa
	opt["yAxis"] = ya
	opt["series"] = series
	f := NewFigure(spec.Title, opt)
	f.Width, f.Height = spec.Width, spec.Height
	return f, nil
}

// decadeAxis returns a log axis over whole decades around [lo, hi] (log10 units). ECharts
// labels every decade of a log axis only up to 9 decades, then only every tenth; a wider
// range becomes a linear axis in log10 units (transformed reports true: the caller plots
// log10 of its values) with a label on every decade (every second beyond 18, ...), written
// as the value 10^v.
func decadeAxis(name string, gap int, lo, hi float64) (ax map[string]any, transformed bool) {
	ax = logAxisRange(valueAxis(name, true, gap), lo, hi)
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return ax, false
	}
	d0, d1 := math.Floor(lo+1e-9), math.Ceil(hi-1e-9)
	span := int(d1 - d0)
	if span <= 9 {
		return ax, false
	}
	ax = valueAxis(name, false, gap)
	delete(ax, "boundaryGap")
	ax["scale"] = true
	ax["min"], ax["max"] = d0, d1
	ax["interval"] = (span + 17) / 18
	ax["axisLabel"] = map[string]any{"formatter": JS(`function(v){return (` + string(numberFormatter) + `)(Math.pow(10,v));}`)}
	return ax, true
}

// DefaultMaxDecades is how many decades a log axis spans at most when no fit window says
// where to look (LogLogSpec.MaxDecades, and the y axis of LineSpec with LogY). ECharts
// labels every decade of a log axis up to 9 decades, then only every tenth.
const DefaultMaxDecades = 9

// contains reports whether x lies in the fit's window (no window: everywhere).
func (f *Fit) contains(x float64) bool {
	return (!(f.XMin > 0) || x >= f.XMin) && (!(f.XMax > 0) || x <= f.XMax)
}

// view is the box shown on a log-log panel, in log10 units.
type view struct{ x0, x1, y0, y1 float64 }

func (v view) in(lx, ly float64) bool { return lx >= v.x0 && lx <= v.x1 && ly >= v.y0 && ly <= v.y1 }

// logView chooses the box of a log-log panel. With fit windows: their union widened by a
// decade on each side (less, down to 0.3, when the window is wide); without: the top maxDec
// decades of x.
// The y range is that of the points inside the x range; with fit windows it is cut to its top
// maxDec decades, but never above the lowest point in a window (stacked series stay whole).
func logView(ps []prepared, maxDec float64) view {
	if !(maxDec > 0) {
		maxDec = DefaultMaxDecades
	}
	inf := math.Inf(1)
	wx0, wx1 := inf, -inf // union of the fit windows
	dx0, dx1 := inf, -inf // data range
	for _, p := range ps {
		for _, x := range p.x {
			lx := math.Log10(x)
			dx0, dx1 = math.Min(dx0, lx), math.Max(dx1, lx)
		}
		if p.fit != nil && len(p.x) > 0 {
			lo, hi := p.fit.XMin, p.fit.XMax
			if !(lo > 0) {
				lo = fit.Min(p.x)
			}
			if !(hi > 0) {
				hi = fit.Max(p.x)
			}
			wx0, wx1 = math.Min(wx0, math.Log10(lo)), math.Max(wx1, math.Log10(hi))
		}
	}
	v := view{x0: dx0, x1: dx1, y0: -inf, y1: inf}
	if wx1 >= wx0 {
		// Up to one decade on each side, less when that would pass maxDec decades.
		pad := math.Max(0.3, math.Min(1, (maxDec-(wx1-wx0))/2))
		v.x0, v.x1 = math.Max(dx0, wx0-pad), math.Min(dx1, wx1+pad)
	} else if dx1-dx0 > maxDec {
		v.x0 = dx1 - maxDec
	}
	// y: the points inside the x range; their top maxDec decades, but always every point
	// inside a fit window.
	y0, y1, w0 := inf, -inf, inf
	for _, p := range ps {
		for k := range p.x {
			lx, ly := math.Log10(p.x[k]), math.Log10(p.y[k])
			if lx < v.x0 || lx > v.x1 {
				continue
			}
			y0, y1 = math.Min(y0, ly), math.Max(y1, ly)
			if p.fit != nil && p.fit.contains(p.x[k]) {
				w0 = math.Min(w0, ly)
			}
		}
	}
	if y1 >= y0 {
		v.y0, v.y1 = y0, y1
		if y1-y0 > maxDec && wx1 >= wx0 {
			v.y0 = math.Min(y1-maxDec, w0)
		}
	}
	return v
}

// logAxisRange pins a log axis to whole decades around [lo, hi] (log10 units) and asks for a
// label on every decade (ECharts gives one up to 9 decades; see decadeAxis beyond).
func logAxisRange(ax map[string]any, lo, hi float64) map[string]any {
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return ax
	}
	d0, d1 := math.Floor(lo+1e-9), math.Ceil(hi-1e-9)
	if d1 <= d0 {
		d0, d1 = d0-1, d1+1
	}
	ax["min"], ax["max"] = math.Pow(10, d0), math.Pow(10, d1)
	span := int(d1 - d0)
	ax["splitNumber"] = span
	ax["minorTick"] = map[string]any{"show": span <= 6}
	return ax
}

// clipGuide returns the segment of the line ly = cy + s (lx - cx) inside the box, in
// linear coordinates, or false when it misses the box.
func clipGuide(cx, cy, s, x0, x1, y0, y1 float64) ([][2]float64, bool) {
	lo, hi := x0, x1
	if s != 0 {
		a := cx + (y0-cy)/s
		c := cx + (y1-cy)/s
		if a > c {
			a, c = c, a
		}
		lo, hi = math.Max(lo, a), math.Min(hi, c)
	} else if cy < y0 || cy > y1 {
		return nil, false
	}
	if !(hi > lo) {
		return nil, false
	}
	f := func(lx float64) [2]float64 { return [2]float64{math.Pow(10, lx), math.Pow(10, cy+s*(lx-cx))} }
	return [][2]float64{f(lo), f(hi)}, true
}

func countBelow(v []float64, t float64) int {
	n := 0
	for _, x := range v {
		if x < t {
			n++
		}
	}
	return n
}

// Lines draws line series vs x (e.g. γ vs epoch) with horizontal reference lines.
// Reference lines are real two-point series over the x range, so the axis always
// includes them and the legend can toggle them.
func Lines(spec LineSpec) (*Figure, error) {
	return lines("Lines", spec)
}

func lines(b string, spec LineSpec) (*Figure, error) {
	if len(spec.Series) == 0 {
		return nil, fmt.Errorf("viz.%s %q: no series", b, spec.Title)
	}
	var series []any
	var legend []string
	xMin, xMax := math.Inf(1), math.Inf(-1)
	yMin, yMax := math.Inf(1), math.Inf(-1) // log10 of y, for LogY
	var ps []prepared
	for i, s := range spec.Series {
		p, err := prepare(b, i, s, spec.LogX, spec.LogY)
		if err != nil {
			return nil, err
		}
		if len(p.x) > 0 {
			xMin, xMax = math.Min(xMin, fit.Min(p.x)), math.Max(xMax, fit.Max(p.x))
		}
		if spec.LogY {
			for _, y := range p.y {
				yMin, yMax = math.Min(yMin, math.Log10(y)), math.Max(yMax, math.Log10(y))
			}
		}
		ps = append(ps, p)
	}
	// A log y axis keeps at most DefaultMaxDecades whole decades, down from the one holding
	// the largest value; what lies below is counted in the legend.
	yFloor := math.Inf(-1)
	if spec.LogY && !math.IsInf(yMax, 0) {
		yFloor = math.Max(math.Floor(yMin+1e-9), math.Ceil(yMax-1e-9)-DefaultMaxDecades)
	}
	for _, p := range ps {
		if below := countBelow(p.y, math.Pow(10, yFloor)); spec.LogY && below > 0 {
			p.name += fmt.Sprintf(" [%d below the axis]", below)
		}
		legend = append(legend, p.name)
		series = append(series, map[string]any{
			"type":       "line",
			"name":       p.name,
			"data":       pairs(p.x, p.y),
			"showSymbol": spec.Symbols || len(p.x) <= 40,
			"symbolSize": 5,
			"lineStyle":  map[string]any{"color": p.color, "width": 2},
			"itemStyle":  map[string]any{"color": p.color},
		})
	}
	for _, r := range spec.Refs {
		label := r.Label
		if label == "" {
			label = fmt.Sprintf("y = %g", r.Y)
		}
		if !isFinite(r.Y) || (spec.LogY && r.Y <= 0) {
			return nil, fmt.Errorf("viz.%s %q: reference line %q at y = %v cannot be drawn on this y axis", b, spec.Title, label, r.Y)
		}
		if math.IsInf(xMin, 0) {
			continue
		}
		legend = append(legend, label)
		series = append(series, map[string]any{
			"type":       "line",
			"name":       label,
			"data":       [][2]float64{{xMin, r.Y}, {xMax, r.Y}},
			"showSymbol": false,
			"lineStyle":  map[string]any{"color": "#777777", "type": "dashed", "width": 1.2},
			"itemStyle":  map[string]any{"color": "#777777"},
			"endLabel":   map[string]any{"show": true, "formatter": label, "color": "#555555", "fontSize": 11},
			"tooltip":    map[string]any{"show": false},
			"z":          1,
		})
	}
	opt := baseOption(legend)
	opt["tooltip"] = map[string]any{"trigger": "axis", "confine": true}
	opt["grid"].(map[string]any)["right"] = 70 // room for end labels
	xa := valueAxis(spec.XName, spec.LogX, 30)
	if !spec.LogX && !math.IsInf(xMin, 0) && xMax > xMin {
		// The x axis runs from the first x to the last (epoch 1, not -5).
		xa["min"], xa["max"] = xMin, xMax
		delete(xa, "boundaryGap")
	}
	ya := valueAxis(spec.YName, spec.LogY, 55)
	if spec.LogY && !math.IsInf(yMax, 0) {
		ya = logAxisRange(ya, yFloor, yMax)
	}
	opt["xAxis"] = xa
	opt["yAxis"] = ya
	opt["series"] = series
	f := NewFigure(spec.Title, opt)
	f.Width, f.Height = spec.Width, spec.Height
	return f, nil
}

// Spectra draws eigenvalue spectra against rank 1..n on log axes.
func Spectra(spec SpectraSpec) (*Figure, error) {
	ls := LineSpec{
		Title: spec.Title, XName: "rank", YName: spec.YName,
		LogX: !spec.LinearRank, LogY: true, Width: spec.Width, Height: spec.Height,
	}
	if ls.YName == "" {
		ls.YName = "eigenvalue"
		if spec.Normalize {
			ls.YName = "λ_k / λ_1"
		}
	}
	for _, s := range spec.Series {
		v := s.Values
		if spec.Normalize && len(v) > 0 {
			if !(v[0] > 0) || !isFinite(v[0]) {
				return nil, fmt.Errorf("viz.Spectra: series %q: cannot normalize by the first value %v (must be positive)", s.Name, v[0])
			}
			n := make([]float64, len(v))
			for i, x := range v {
				n[i] = x / v[0]
			}
			v = n
		}
		ls.Series = append(ls.Series, XYSeries{Name: s.Name, Y: v, Mask: s.Mask})
	}
	return lines("Spectra", ls)
}
