package viz

import (
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"html"
	"regexp"
	"strconv"
	"strings"
)

// EChartsVersion is the version of the embedded ECharts bundle (matches go-echarts v2.6.x).
const EChartsVersion = "5.4.3"

// echartsJS is dist/echarts.min.js from `npm pack echarts@5.4.3` (Apache-2.0; LICENSE,
// NOTICE and LICENSE-d3 sit beside it in assets/).
//
//go:embed assets/echarts.min.js
var echartsJS string

// EChartsJS returns the embedded ECharts bundle.
func EChartsJS() string { return echartsJS }

// Marker attributes and class names shared with cmd/nbcheck.
const (
	// ChartClass is the class of every chart div.
	ChartClass = "noisecurv-chart"
	// StatusAttr is set by the chart script: "pending" in the static HTML, then "ok" or "error".
	StatusAttr = "data-chart-status"
	// ErrorAttr holds the error message when StatusAttr is "error".
	ErrorAttr = "data-chart-error"
	// TitleAttr holds the figure title (for error reports).
	TitleAttr = "data-chart-title"
	// LogDecadesAttr is set after drawing to the widest span, in decades, of the chart's log
	// axes (cmd/nbcheck fails charts whose axes span too many decades to read).
	LogDecadesAttr = "data-chart-log-decades"
)

// WaitForEChartsMS is how long a chart script waits for window.echarts before it marks
// its div as failed (in browser time; headless Chromium's virtual time counts too).
const WaitForEChartsMS = 15000

// LoaderHTML returns the script element that defines window.echarts, once per page:
// it does nothing when window.echarts already exists, and hides window.define while
// the UMD bundle runs so that require.js (Notebook 6, nbconvert HTML) does not capture
// it as an anonymous AMD module (docs/lab.md, trap 3).
func LoaderHTML() string {
	var b strings.Builder
	b.Grow(len(echartsJS) + 512)
	b.WriteString("<script>/* Apache ECharts " + EChartsVersion + " (Apache-2.0), loaded by noisecurv/lib/viz */\n")
	b.WriteString("(function(){if(window.echarts){return;}var d=window.define;window.define=undefined;try{\n")
	b.WriteString(safeBundle())
	b.WriteString("\n}finally{window.define=d;}})();</script>\n")
	return b.String()
}

// safeBundle guards against a bundle that would end the script element early. The
// shipped 5.4.3 bundle contains neither sequence (checked by a test), so this is a no-op.
func safeBundle() string {
	s := echartsJS
	if strings.Contains(s, "</") || strings.Contains(s, "<!--") {
		s = string(escapeScript([]byte(s)))
	}
	return s
}

// renderer hands out element ids: a prefix plus a counter, so output never depends on
// map order. Inline display uses a random prefix per process (each GoNB cell is a new
// process, and all cells share one DOM); pages use a prefix hashed from their title.
type renderer struct {
	prefix string
	n      int
}

func newRandomRenderer() *renderer {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return &renderer{prefix: "nc"}
	}
	return &renderer{prefix: "nc" + hex.EncodeToString(b[:])}
}

func newDeterministicRenderer(seed string) *renderer {
	h := fnv.New32a()
	h.Write([]byte(seed))
	return &renderer{prefix: fmt.Sprintf("nc%08x", h.Sum32())}
}

func (r *renderer) nextID() string {
	r.n++
	return r.prefix + "-" + strconv.Itoa(r.n)
}

// Item is anything that Show and Page can place: *Figure, *Grid, *Table, Text, HTML.
type Item interface {
	renderHTML(r *renderer) (string, error)
}

// HTML is trusted raw HTML placed verbatim.
type HTML string

func (h HTML) renderHTML(*renderer) (string, error) { return string(h), nil }

// Text is plain text; blank lines separate paragraphs. It is HTML-escaped.
type Text string

func (t Text) renderHTML(*renderer) (string, error) {
	var b strings.Builder
	for _, p := range strings.Split(strings.TrimSpace(string(t)), "\n\n") {
		if strings.TrimSpace(p) == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(strings.TrimSpace(p)), "\n", "<br>"))
		b.WriteString("</p>\n")
	}
	return b.String(), nil
}

// Table is a simple text table. Cells that read as numbers (a value, an interval, a
// value ± error, a ratio) are right-aligned, prose is left-aligned; the alignment is written
// into each cell, so it holds in a notebook as in a page.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]string
	// Links, when not nil, is parallel to Rows: a non-empty Links[i][j] makes cell (i, j) a
	// link to that address (an anchor "#id", or a relative path).
	Links [][]string
}

// numericCell matches cells made of numbers and their punctuation only: "1.13",
// "-1.48e17", "1.126 [1.120, 1.132]", "0.96 ± 0.01", "277 : 4.1 : 0.31", "52.5%".
var numericCell = regexp.MustCompile(`^[(\[]?[-+−]?[0-9.]+([eE][-+]?[0-9]+)?(\s*([-+−±×x:/,;%]|\[|\]|\(|\)|\s)\s*[-+−]?([0-9.]+([eE][-+]?[0-9]+)?)?)*$`)

// isNumericCell reports whether a table cell should be right-aligned.
func isNumericCell(c string) bool {
	c = strings.TrimSpace(c)
	return c != "" && strings.ContainsAny(c, "0123456789") && numericCell.MatchString(c)
}

func (t *Table) renderHTML(*renderer) (string, error) {
	if t == nil {
		return "", fmt.Errorf("viz: nil table")
	}
	var b strings.Builder
	b.WriteString(`<table class="noisecurv-table">`)
	if t.Caption != "" {
		b.WriteString("<caption>" + html.EscapeString(t.Caption) + "</caption>")
	}
	// A column is right-aligned when every non-empty cell in it is a number; its header too.
	numCol := func(j int) bool {
		any := false
		for _, row := range t.Rows {
			if j < len(row) && strings.TrimSpace(row[j]) != "" {
				if !isNumericCell(row[j]) {
					return false
				}
				any = true
			}
		}
		return any
	}
	align := func(right bool) string {
		if right {
			return `text-align:right;font-variant-numeric:tabular-nums`
		}
		return `text-align:left`
	}
	if len(t.Header) > 0 {
		b.WriteString("<thead><tr>")
		for j, h := range t.Header {
			b.WriteString(`<th style="` + align(numCol(j)) + `">` + html.EscapeString(h) + "</th>")
		}
		b.WriteString("</tr></thead>")
	}
	b.WriteString("<tbody>")
	for i, row := range t.Rows {
		b.WriteString("<tr>")
		for j, c := range row {
			cell := html.EscapeString(c)
			if i < len(t.Links) && j < len(t.Links[i]) && t.Links[i][j] != "" {
				cell = `<a href="` + html.EscapeString(t.Links[i][j]) + `">` + cell + "</a>"
			}
			b.WriteString(`<td style="` + align(isNumericCell(c)) + `;vertical-align:top">` + cell + "</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>\n")
	return b.String(), nil
}

// HTML renders the figure as a chart snippet (div + script) with a fresh element id.
// The snippet needs window.echarts: in a notebook call Setup first; in a page the
// loader is added by Page.
func (f *Figure) HTML() (string, error) {
	return f.renderHTML(inlineRenderer())
}

func (f *Figure) renderHTML(r *renderer) (string, error) {
	if f == nil {
		return "", fmt.Errorf("viz: nil figure (did a builder return an error?)")
	}
	opt, err := f.OptionJSON()
	if err != nil {
		return "", err
	}
	id := r.nextID()
	width := "100%"
	if f.Width > 0 {
		width = strconv.Itoa(f.Width) + "px"
	}
	height := f.Height
	if height <= 0 {
		height = DefaultHeight
	}
	var b strings.Builder
	b.Grow(len(opt) + 1500)
	fmt.Fprintf(&b, `<div id="%s" class="%s" %s="pending" %s="%s" style="width:%s;max-width:100%%;height:%dpx"></div>`,
		id, ChartClass, StatusAttr, TitleAttr, html.EscapeString(f.Title), width, height)
	b.WriteString("\n<script>(function(){\n")
	fmt.Fprintf(&b, "var el=document.getElementById(%q);\nvar option=", id)
	b.Write(opt)
	b.WriteString(";\n")
	// A title wider than the chart is wrapped (ECharts clips it otherwise), and the grid,
	// the legend and the chart's height make room for the extra lines.
	// The chart follows window resizes (at most every 100 ms, and only on a real change of its
	// container), and a container that had no width when drawn (an output inserted hidden) is
	// watched by a ResizeObserver until it gets one. Observing every chart for the page's
	// lifetime kept headless Chromium producing frames: on a page of large charts (the
	// paper-preset notebook 05) its virtual-time budget never ran out (TestLargePageFinishes).
	fmt.Fprintf(&b, `var t0=Date.now();
function mark(s,msg){if(!el){return;}el.setAttribute(%q,s);if(msg){el.setAttribute(%q,msg);el.style.height="auto";el.textContent="chart error: "+msg;}}
function fitTitle(){var lg=option.legend;if(lg&&!Array.isArray(lg)&&lg.orient==="vertical"&&el.clientWidth>200){var lt=lg.textStyle||(lg.textStyle={});lt.width=el.clientWidth-170;lt.overflow="break";}
var t=option.title;if(!t||Array.isArray(t)||!t.text){return;}var w=el.clientWidth-24;if(w<=0){return;}
var ts=t.textStyle||(t.textStyle={}),fs=ts.fontSize||18,cx=document.createElement("canvas").getContext("2d");if(!cx){return;}
cx.font="bold "+fs+"px sans-serif";var n=Math.ceil(cx.measureText(t.text).width*1.05/w);if(n<=1){return;}
ts.width=w;ts.overflow="break";ts.lineHeight=Math.round(fs*1.35);var extra=(n-1)*ts.lineHeight;
[].concat(option.grid||[],option.legend||[]).forEach(function(o){if(o&&typeof o.top==="number"){o.top+=extra;}});
el.style.height=(el.clientHeight+extra)+"px";}
function logDecades(c){try{var d=0;["xAxis","yAxis"].forEach(function(k){for(var i=0;;i++){var m=c.getModel().getComponent(k,i);if(!m){break;}
var s=m.axis&&m.axis.scale;if(s&&s.type==="log"){var e=s.getExtent();if(e[0]>0&&e[1]>0){d=Math.max(d,Math.log10(e[1]/e[0]));}}}});
el.setAttribute(%q,d.toFixed(1));}catch(e){}}
function draw(){
if(!el){return;}
if(!window.echarts){
if(Date.now()-t0>%d){mark("error","window.echarts is not defined after %d ms: run viz.Setup() in the first cell (or the page lacks the ECharts loader)");return;}
setTimeout(draw,50);return;}
try{fitTitle();var c=echarts.init(el,null,{renderer:"svg"});c.setOption(option);mark("ok");logDecades(c);
var w=el.clientWidth,h=el.clientHeight,q=0;
function fit(){q=0;var nw=el.clientWidth,nh=el.clientHeight;if(nw===w&&nh===h){return;}w=nw;h=nh;c.resize();}
window.addEventListener("resize",function(){if(!q){q=setTimeout(fit,100);}});
if(w===0&&window.ResizeObserver){var ro=new ResizeObserver(function(){if(el.clientWidth>0){ro.disconnect();fit();}});ro.observe(el);}
}catch(e){mark("error",String((e&&e.message)||e));}
}
draw();
})();</script>
`, StatusAttr, ErrorAttr, LogDecadesAttr, WaitForEChartsMS, WaitForEChartsMS)
	return b.String(), nil
}

// Grid lays out several figures as small multiples in a CSS grid.
type Grid struct {
	Title   string
	Columns int // 0 means 2
	Figures []*Figure
}

// NewGrid returns a grid with the given number of columns.
func NewGrid(title string, columns int, figs ...*Figure) *Grid {
	return &Grid{Title: title, Columns: columns, Figures: figs}
}

func (g *Grid) renderHTML(r *renderer) (string, error) {
	if g == nil {
		return "", fmt.Errorf("viz: nil grid")
	}
	cols := g.Columns
	if cols <= 0 {
		cols = 2
	}
	var b strings.Builder
	if g.Title != "" {
		b.WriteString(`<div class="noisecurv-grid-title" style="font:bold 15px sans-serif;margin:8px 0">` + html.EscapeString(g.Title) + "</div>\n")
	}
	fmt.Fprintf(&b, `<div class="noisecurv-grid" style="display:grid;grid-template-columns:repeat(%d,minmax(0,1fr));gap:8px;width:100%%">`+"\n", cols)
	for i, f := range g.Figures {
		if f == nil {
			return "", fmt.Errorf("viz: grid %q: figure %d is nil", g.Title, i)
		}
		s, err := f.renderHTML(r)
		if err != nil {
			return "", fmt.Errorf("viz: grid %q: figure %d: %w", g.Title, i, err)
		}
		b.WriteString("<div>" + s + "</div>\n")
	}
	b.WriteString("</div>\n")
	return b.String(), nil
}
