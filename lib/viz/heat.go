package viz

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// HeatMapSpec describes a heat map of a matrix whose values are already transformed
// (e.g. by Symlog). Row 0 is drawn at the top, as a matrix is printed.
type HeatMapSpec struct {
	Title string
	// Z is the matrix, Z[row][col]; rows must have equal length.
	Z [][]float64
	// XLabels (columns) and YLabels (rows); nil means "1".."n".
	XLabels, YLabels []string
	XName, YName     string
	// ValueName labels the colour scale (e.g. "symlog |V^T A V|").
	ValueName string
	// Min and Max of the colour scale; both zero means symmetric ±max|Z| (diverging).
	Min, Max float64
	// Colors of the scale from Min to Max; nil means blue–white–red.
	Colors        []string
	Width, Height int
}

// HeatMap draws a matrix with a continuous visualMap. Category axes carry the labels
// (go-echarts' HeatMap.SetXAxis is ignored; raw options avoid that).
// Values are rounded to 4 significant digits to keep large maps (300×300) small.
func HeatMap(spec HeatMapSpec) (*Figure, error) {
	const b = "HeatMap"
	rows := len(spec.Z)
	if rows == 0 {
		return nil, fmt.Errorf("viz.%s %q: empty matrix", b, spec.Title)
	}
	cols := len(spec.Z[0])
	if cols == 0 {
		return nil, fmt.Errorf("viz.%s %q: row 0 is empty", b, spec.Title)
	}
	xl, yl := spec.XLabels, spec.YLabels
	if xl == nil {
		xl = indexLabels(cols)
	}
	if yl == nil {
		yl = indexLabels(rows)
	}
	if len(xl) != cols {
		return nil, fmt.Errorf("viz.%s %q: %d XLabels for %d columns", b, spec.Title, len(xl), cols)
	}
	if len(yl) != rows {
		return nil, fmt.Errorf("viz.%s %q: %d YLabels for %d rows", b, spec.Title, len(yl), rows)
	}
	data := make([][3]float64, 0, rows*cols)
	amax := 0.0
	for i, row := range spec.Z {
		if len(row) != cols {
			return nil, fmt.Errorf("viz.%s %q: row %d has %d columns, row 0 has %d", b, spec.Title, i, len(row), cols)
		}
		for j, v := range row {
			if !isFinite(v) {
				return nil, fmt.Errorf("viz.%s %q: Z[%d][%d] = %v is not finite", b, spec.Title, i, j, v)
			}
			amax = math.Max(amax, math.Abs(v))
			// ECharts heat map data is [xIndex, yIndex, value].
			data = append(data, [3]float64{float64(j), float64(i), roundSig(v, 4)})
		}
	}
	lo, hi := spec.Min, spec.Max
	if lo == 0 && hi == 0 {
		lo, hi = -amax, amax
		if amax == 0 {
			lo, hi = -1, 1
		}
	}
	if !(hi > lo) {
		return nil, fmt.Errorf("viz.%s %q: colour scale Min = %v must be below Max = %v", b, spec.Title, lo, hi)
	}
	colors := spec.Colors
	if colors == nil {
		colors = []string{"#2166ac", "#67a9cf", "#f7f7f7", "#ef8a62", "#b2182b"}
	}
	catAxis := func(name string, labels []string, inverse bool) map[string]any {
		return map[string]any{
			"type":         "category",
			"data":         labels,
			"name":         name,
			"nameLocation": "middle",
			"nameGap":      30,
			"inverse":      inverse,
			"splitArea":    map[string]any{"show": false},
			"axisTick":     map[string]any{"show": false},
		}
	}
	// The colour bar stands in its own strip right of the grid, its end values written beside
	// it; the value's name goes under the title (a long name on the bar would overlap the map).
	title := map[string]any{"text": spec.Title, "left": "center", "textStyle": map[string]any{"fontSize": 14}}
	if spec.ValueName != "" {
		title["subtext"] = "colour: " + spec.ValueName
		title["itemGap"] = 4
	}
	opt := map[string]any{
		"title":   title,
		"grid":    map[string]any{"left": 70, "right": 95, "top": 62, "bottom": 50},
		"tooltip": map[string]any{"trigger": "item", "confine": true},
		"xAxis":   catAxis(spec.XName, xl, false),
		"yAxis":   catAxis(spec.YName, yl, true),
		"visualMap": map[string]any{
			"type":       "continuous",
			"min":        lo,
			"max":        hi,
			"calculable": false,
			"orient":     "vertical",
			"right":      8,
			"top":        "middle",
			"itemWidth":  14,
			"itemHeight": 160,
			"text":       []string{strconv.FormatFloat(roundSig(hi, 3), 'g', -1, 64), strconv.FormatFloat(roundSig(lo, 3), 'g', -1, 64)},
			"textGap":    6,
			"precision":  2,
			"inRange":    map[string]any{"color": colors},
		},
		"series": []any{map[string]any{
			"type":        "heatmap",
			"name":        spec.ValueName,
			"data":        data,
			"progressive": 0, // draw everything in one pass: markers and exports see the full map
			"emphasis":    map[string]any{"itemStyle": map[string]any{"borderColor": "#333", "borderWidth": 1}},
		}},
	}
	f := NewFigure(spec.Title, opt)
	f.Width, f.Height = spec.Width, spec.Height
	return f, nil
}

func indexLabels(n int) []string {
	l := make([]string, n)
	for i := range l {
		l[i] = strconv.Itoa(i + 1)
	}
	return l
}

// HistSeries is one sample to bin.
type HistSeries struct {
	Name   string
	Values []float64
}

// HistogramSpec describes histograms of one or more samples on shared bins.
type HistogramSpec struct {
	Title, XName string
	YName        string // default "count" (or "density")
	Series       []HistSeries
	// Bins is the number of bins; 0 means ceil(sqrt(n)) clamped to [10, 80].
	Bins int
	// Lo, Hi fix the binned range; both zero means the data range cut to robust fences
	// (outliers such as a ratio with a near-zero denominator would squeeze every other value
	// into one bar). Values outside are counted in the legend, not silently lost.
	Lo, Hi float64
	// FullRange bins the whole data range even when a few values lie far out (for samples
	// whose tails are the point, such as bounded ratios).
	FullRange bool
	// LogBins uses log-spaced bins (all values must be positive).
	LogBins bool
	// LogCounts uses a log y axis; empty bins are then left blank.
	LogCounts bool
	// Density divides counts by n·width so that the histogram integrates to 1.
	Density       bool
	Width, Height int
}

// robustRange is the automatic binned range of a histogram: the range of the values inside
// Tukey's far-out fences, q1 - 3 IQR and q3 + 3 IQR (in log10 for log bins), so that a few extreme
// values (a ratio whose denominator is nearly 0) cannot squeeze every other value into one
// bar. When the quartiles coincide the data range is kept. Values cut off are counted in
// the legend.
func robustRange(all []float64, lo, hi float64, logBins bool) (float64, float64) {
	x := append([]float64(nil), all...)
	sort.Float64s(x) // log10 is increasing, so x and t share one order
	t := x
	if logBins {
		t = make([]float64, len(x))
		for i, v := range x {
			t[i] = math.Log10(v)
		}
	}
	q := func(p float64) float64 { return stat.Quantile(p, stat.LinInterp, t, nil) }
	q1, q3 := q(0.25), q(0.75)
	a, b := q1-3*(q3-q1), q3+3*(q3-q1)
	if b <= a { // half the values or more are equal: no scale to judge outliers by
		return lo, hi
	}
	// The range of the values inside the fences (the fences themselves may lie far beyond).
	i := sort.SearchFloat64s(t, a)
	j := sort.SearchFloat64s(t, math.Nextafter(b, math.Inf(1))) - 1
	if i > j {
		return lo, hi
	}
	return math.Max(lo, x[i]), math.Min(hi, x[j])
}

// fmtTick formats a bin edge for a legend: 4 significant digits.
func fmtTick(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// Histogram bins each series with gonum's stat.Histogram on shared dividers and draws bars.
// Without Lo and Hi the binned range is the data range cut to robust fences (robustRange),
// and the values outside it are counted in the legend.
func Histogram(spec HistogramSpec) (*Figure, error) {
	const b = "Histogram"
	if len(spec.Series) == 0 {
		return nil, fmt.Errorf("viz.%s %q: no series", b, spec.Title)
	}
	lo, hi := spec.Lo, spec.Hi
	auto := lo == 0 && hi == 0
	if auto {
		lo, hi = math.Inf(1), math.Inf(-1)
	}
	var all []float64 // every value, for the robust automatic range
	total := 0
	for i, s := range spec.Series {
		name := s.Name
		if name == "" {
			name = "series " + strconv.Itoa(i+1)
		}
		if err := checkFinite(b, name, "value", s.Values); err != nil {
			return nil, err
		}
		if spec.LogBins {
			if err := checkPositive(b, name, "value", s.Values); err != nil {
				return nil, err
			}
		}
		if auto && len(s.Values) > 0 {
			lo, hi = math.Min(lo, floats.Min(s.Values)), math.Max(hi, floats.Max(s.Values))
			all = append(all, s.Values...)
		}
		total += len(s.Values)
	}
	if auto && !spec.FullRange && len(all) > 0 {
		lo, hi = robustRange(all, lo, hi, spec.LogBins)
	}
	if total == 0 {
		return nil, fmt.Errorf("viz.%s %q: all series are empty", b, spec.Title)
	}
	if spec.LogBins && !(lo > 0) {
		return nil, fmt.Errorf("viz.%s %q: LogBins needs Lo > 0, got %v", b, spec.Title, lo)
	}
	if !(hi >= lo) {
		return nil, fmt.Errorf("viz.%s %q: Lo = %v must not exceed Hi = %v", b, spec.Title, lo, hi)
	}
	if hi == lo { // a single value: give it a unit-width (or factor-2) bin
		if spec.LogBins {
			lo, hi = lo/math.Sqrt2, hi*math.Sqrt2
		} else {
			lo, hi = lo-0.5, hi+0.5
		}
	}
	nb := spec.Bins
	if nb <= 0 {
		nb = int(math.Ceil(math.Sqrt(float64(total) / float64(len(spec.Series)))))
		nb = min(max(nb, 10), 80)
	}
	div := make([]float64, nb+1)
	if spec.LogBins {
		floats.LogSpan(div, lo, hi)
	} else {
		floats.Span(div, lo, hi)
	}
	// stat.Histogram counts x in [div[k], div[k+1]); pin the ends (Span's last value can
	// round below hi) and nudge the top so that the maximum is counted.
	div[0] = lo
	div[nb] = math.Nextafter(hi, math.Inf(1))
	labels := make([]string, nb)
	for k := range labels {
		c := (div[k] + div[k+1]) / 2
		if spec.LogBins {
			c = math.Sqrt(div[k] * div[k+1])
		}
		labels[k] = strconv.FormatFloat(c, 'g', 3, 64)
	}
	var series []any
	var legend []string
	for i, s := range spec.Series {
		name := s.Name
		if name == "" {
			name = "series " + strconv.Itoa(i+1)
		}
		in := make([]float64, 0, len(s.Values))
		below, above := 0, 0
		for _, v := range s.Values {
			switch {
			case v < div[0]:
				below++
			case v >= div[nb]:
				above++
			default:
				in = append(in, v)
			}
		}
		sort.Float64s(in)
		switch {
		case below > 0 && above > 0:
			name += fmt.Sprintf(" [%d below %s, %d above %s: not drawn]", below, fmtTick(div[0]), above, fmtTick(hi))
		case below > 0:
			name += fmt.Sprintf(" [%d below %s: not drawn]", below, fmtTick(div[0]))
		case above > 0:
			name += fmt.Sprintf(" [%d above %s: not drawn]", above, fmtTick(hi))
		}
		counts := stat.Histogram(nil, div, in, nil)
		data := make([]any, nb)
		for k, c := range counts {
			v := c
			if spec.Density && len(in) > 0 {
				v = c / (float64(len(in)) * (div[k+1] - div[k]))
			}
			if spec.LogCounts && v <= 0 {
				data[k] = "-" // ECharts' empty value: nothing to draw on a log axis
			} else {
				data[k] = v
			}
		}
		legend = append(legend, name)
		series = append(series, map[string]any{
			"type":           "bar",
			"name":           name,
			"data":           data,
			"barGap":         "0%",
			"barCategoryGap": "5%",
			"itemStyle":      map[string]any{"color": Palette[i%len(Palette)], "opacity": 0.85},
		})
	}
	yname := spec.YName
	if yname == "" {
		yname = "count"
		if spec.Density {
			yname = "density"
		}
	}
	opt := baseOption(legend)
	opt["tooltip"] = map[string]any{"trigger": "axis", "confine": true}
	opt["xAxis"] = map[string]any{
		"type": "category", "data": labels, "name": spec.XName,
		"nameLocation": "middle", "nameGap": 30,
	}
	ya := valueAxis(yname, spec.LogCounts, 55)
	if !spec.LogCounts {
		ya["scale"] = false // counts start at 0
		delete(ya, "boundaryGap")
	}
	opt["yAxis"] = ya
	opt["series"] = series
	f := NewFigure(spec.Title, opt)
	f.Width, f.Height = spec.Width, spec.Height
	return f, nil
}
