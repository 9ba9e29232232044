package viz

import (
	"html"
	"regexp"
	"strconv"
	"strings"
)

// ChartMarker is one chart div found in an HTML document (usually a DOM dumped by
// headless Chromium after the scripts ran).
type ChartMarker struct {
	ID     string
	Title  string
	Status string // "pending" (script never finished), "ok" or "error"
	Error  string // the message when Status is "error"
	Offset int    // byte offset of the div in the document
	// LogDecades is the widest span, in decades, of the chart's log axes as drawn (0: no
	// log axis, or the page predates the marker).
	LogDecades float64
}

var (
	divTagRe = regexp.MustCompile(`<div\s[^>]*>`)
	attrRe   = regexp.MustCompile(`([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')`)
)

// ParseCharts finds every element with class ChartClass in doc and reads its markers.
// Attribute values are HTML-unescaped. The parser is a tag scanner, enough for the DOM
// that Chromium serializes (double-quoted attributes, '>' escaped inside them).
func ParseCharts(doc string) []ChartMarker {
	var out []ChartMarker
	for _, loc := range divTagRe.FindAllStringIndex(doc, -1) {
		tag := doc[loc[0]:loc[1]]
		if !strings.Contains(tag, ChartClass) {
			continue
		}
		attrs := map[string]string{}
		for _, m := range attrRe.FindAllStringSubmatch(tag, -1) {
			v := m[2]
			if v == "" {
				v = m[3]
			}
			attrs[strings.ToLower(m[1])] = html.UnescapeString(v)
		}
		isChart := false
		for _, c := range strings.Fields(attrs["class"]) {
			if c == ChartClass {
				isChart = true
			}
		}
		if !isChart {
			continue
		}
		dec, _ := strconv.ParseFloat(attrs[LogDecadesAttr], 64)
		out = append(out, ChartMarker{
			ID: attrs["id"], Title: attrs[TitleAttr], Status: attrs[StatusAttr],
			Error: attrs[ErrorAttr], Offset: loc[0], LogDecades: dec,
		})
	}
	return out
}
