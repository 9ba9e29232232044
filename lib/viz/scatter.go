package viz

import (
	"errors"
	"math"
)

// LabelledPoint is one point of a LabelledScatter, its label drawn beside it.
type LabelledPoint struct {
	Label string
	X, Y  float64
}

// PointGroup is one series of a LabelledScatter: a legend entry and a colour.
type PointGroup struct {
	Name   string
	Points []LabelledPoint
}

// LabelledScatterSpec describes a scatter of labelled points in groups, with the line y = x
// across the range of the data (both axes share it, padded by 10% and at least 0.05, and
// rounded outward to multiples of 0.05).
type LabelledScatterSpec struct {
	Title, XName, YName string
	Groups              []PointGroup
}

// LabelledScatter draws spec: one scatter series per group with a point (skipping points with
// a non-finite coordinate and groups left empty), then the dashed line y = x. An error when no
// point is left.
func LabelledScatter(spec LabelledScatterSpec) (*Figure, error) {
	lo, hi := math.Inf(1), math.Inf(-1)
	var series []any
	var legend []string
	for i, g := range spec.Groups {
		var data []any
		for _, p := range g.Points {
			if math.IsNaN(p.X) || math.IsInf(p.X, 0) || math.IsNaN(p.Y) || math.IsInf(p.Y, 0) {
				continue
			}
			lo, hi = math.Min(lo, math.Min(p.X, p.Y)), math.Max(hi, math.Max(p.X, p.Y))
			data = append(data, map[string]any{"name": p.Label, "value": []float64{p.X, p.Y}})
		}
		if len(data) == 0 {
			continue
		}
		legend = append(legend, g.Name)
		series = append(series, map[string]any{
			"type": "scatter", "name": g.Name, "data": data, "symbolSize": 11,
			"itemStyle": map[string]any{"color": Palette[i%len(Palette)]},
			"label":     map[string]any{"show": true, "formatter": "{b}", "position": "right", "fontSize": 10},
		})
	}
	if len(series) == 0 {
		return nil, errors.New("viz: LabelledScatter " + spec.Title + ": no point with finite coordinates")
	}
	pad := math.Max(0.05, 0.1*(hi-lo))
	lo, hi = lo-pad, hi+pad
	legend = append(legend, "y = x")
	series = append(series, map[string]any{
		"type": "line", "name": "y = x", "data": [][2]float64{{lo, lo}, {hi, hi}}, "showSymbol": false,
		"lineStyle": map[string]any{"color": "#777777", "type": "dashed", "width": 1.2},
		"itemStyle": map[string]any{"color": "#777777"}, "tooltip": map[string]any{"show": false},
	})
	axis := func(name string) map[string]any {
		return map[string]any{"type": "value", "name": name, "nameLocation": "middle", "nameGap": 32,
			"min": math.Floor(lo*20) / 20, "max": math.Ceil(hi*20) / 20,
			"splitLine": map[string]any{"show": true, "lineStyle": map[string]any{"color": "#e8e8e8"}}}
	}
	opt := map[string]any{
		"grid":    map[string]any{"left": 75, "right": 40, "top": 80, "bottom": 55},
		"legend":  map[string]any{"data": legend, "top": 26, "type": "scroll"},
		"tooltip": map[string]any{"trigger": "item", "confine": true},
		"xAxis":   axis(spec.XName),
		"yAxis":   axis(spec.YName),
		"series":  series,
	}
	return NewFigure(spec.Title, opt), nil
}
