package viz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Figure is one ECharts chart: a raw ECharts option tree built in Go plus its size.
//
// Option is exported on purpose: every builder returns a Figure whose option can be
// adjusted before rendering (e.g. f.Option["yAxis"].(map[string]any)["min"] = 1e-6).
// Values must be JSON-encodable; use JS for JavaScript functions (formatters).
type Figure struct {
	// Title is used for the standalone page title and the chart's data-chart-title
	// attribute (the checker prints it). Builders also put it into Option["title"].
	Title string
	// Width in CSS pixels; 0 means 100% of the container.
	Width int
	// Height in CSS pixels; 0 means DefaultHeight.
	Height int
	// Option is the ECharts option object passed to chart.setOption.
	Option map[string]any
}

// DefaultHeight is the height of a figure whose Height is 0.
const DefaultHeight = 420

// JS is JavaScript source placed verbatim into the option (for formatter functions).
// It is encoded as a marked JSON string and unquoted when the option is rendered.
type JS string

// jsMarker is go-echarts' own function marker, so options taken from go-echarts charts
// (opts.FuncOpts) render the same way as ours.
const jsMarker = "__f__"

// MarshalJSON encodes the code as a marked string; see Figure.OptionJSON.
func (j JS) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsMarker + string(j) + jsMarker)
}

var jsToken = regexp.MustCompile(`"__f__((?:[^"\\]|\\.)*?)__f__"`)

// NewFigure wraps a raw ECharts option. Defaults (SVG-friendly, no animation, tooltip)
// are added for keys the option does not set.
func NewFigure(title string, option map[string]any) *Figure {
	if option == nil {
		option = map[string]any{}
	}
	f := &Figure{Title: title, Option: option}
	f.applyDefaults()
	return f
}

// GoEChart is satisfied by every go-echarts v2 chart (*charts.Line, *charts.Scatter, ...).
type GoEChart interface {
	Validate()
	JSON() map[string]any
}

// FromChart converts a go-echarts chart into a Figure, so charts built with go-echarts'
// typed options render through the same offline loader, status markers and exports.
// JavaScript functions made with go-echarts' opts.FuncOpts are preserved.
func FromChart(title string, c GoEChart) (*Figure, error) {
	if c == nil {
		return nil, fmt.Errorf("viz.FromChart %q: nil chart", title)
	}
	c.Validate()
	raw, err := json.Marshal(c.JSON())
	if err != nil {
		return nil, fmt.Errorf("viz.FromChart %q: encoding go-echarts option: %w", title, err)
	}
	var opt map[string]any
	if err := json.Unmarshal(raw, &opt); err != nil {
		return nil, fmt.Errorf("viz.FromChart %q: decoding go-echarts option: %w", title, err)
	}
	return NewFigure(title, opt), nil
}

// applyDefaults fills title, tooltip, animation and palette where the option has none.
func (f *Figure) applyDefaults() {
	o := f.Option
	if _, ok := o["title"]; !ok && f.Title != "" {
		o["title"] = map[string]any{"text": f.Title, "left": "center", "textStyle": map[string]any{"fontSize": 14}}
	}
	if _, ok := o["tooltip"]; !ok {
		o["tooltip"] = map[string]any{"trigger": "item", "confine": true}
	}
	// Animation off: the status marker must mean "drawn", and exports must not catch a
	// half-finished transition.
	o["animation"] = false
	if _, ok := o["color"]; !ok {
		o["color"] = append([]string(nil), Palette...)
	}
	if _, ok := o["backgroundColor"]; !ok {
		o["backgroundColor"] = "#ffffff"
	}
}

// Palette is the default series palette (ColorBrewer Set1-like, readable on white).
var Palette = []string{
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
	"#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
}

// OptionJSON returns the option as JavaScript object-literal text, safe to place inside
// an HTML <script> element: JS values are unquoted, and "</" and "<!--" are escaped so
// that a label such as "</script>" cannot end the script element.
func (f *Figure) OptionJSON() ([]byte, error) {
	if f == nil {
		return nil, fmt.Errorf("viz: nil figure")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f.Option); err != nil {
		return nil, fmt.Errorf("viz: figure %q: encoding option: %w", f.Title, err)
	}
	out := bytes.TrimRight(buf.Bytes(), "\n")
	var derr error
	out = jsToken.ReplaceAllFunc(out, func(tok []byte) []byte {
		// tok is `"__f__<json-escaped code>__f__"`; decode the JSON string to get the code.
		var s string
		if err := json.Unmarshal(tok, &s); err != nil {
			derr = err
			return tok
		}
		return []byte(strings.TrimSuffix(strings.TrimPrefix(s, jsMarker), jsMarker))
	})
	if derr != nil {
		return nil, fmt.Errorf("viz: figure %q: decoding JS value: %w", f.Title, derr)
	}
	return escapeScript(out), nil
}

// escapeScript makes text safe inside <script>: "</" becomes "<\/" (same string in JS),
// "<!--" becomes "<\!--". Go's encoder already escapes U+2028/U+2029.
func escapeScript(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("</"), []byte(`<\/`))
	b = bytes.ReplaceAll(b, []byte("<!--"), []byte(`<\!--`))
	return b
}
