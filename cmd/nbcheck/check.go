package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/noisecurv/noisecurv/lib/viz"
)

// config holds the checker's settings.
type config struct {
	BudgetMS  int // Chromium virtual time budget
	MinCharts int // fail when a notebook draws fewer charts
	// MaxLogDecades fails a chart whose log axis spans more decades (0: no limit).
	MaxLogDecades float64
	UseIPYNB      bool // read the sibling .ipynb for cell errors and chart→cell mapping
}

// result is the outcome for one notebook.
type result struct {
	Notebook string   // base name, e.g. "smoke"
	HTML     string   // path of the HTML export checked
	Charts   int      // chart divs in the rendered DOM
	OK       int      // of which marked ok
	Problems []string // human-readable failures; empty means pass
}

// cellInfo locates a code cell: Pos is its 1-based position among all cells,
// Exec its execution count (the "In [n]" prompt), First its first source line.
type cellInfo struct {
	Pos   int
	Exec  int
	First string
}

func (c cellInfo) String() string {
	s := "cell " + strconv.Itoa(c.Pos)
	if c.Exec > 0 {
		s += fmt.Sprintf(" (In [%d])", c.Exec)
	}
	if c.First != "" {
		s += fmt.Sprintf(" %q", c.First)
	}
	return s
}

// notebookInfo is what the executed .ipynb tells: charts per cell and error outputs.
type notebookInfo struct {
	chartCell map[string]cellInfo // chart div id -> cell
	chartIDs  []string            // in notebook order
	errors    []string            // "cell 4 (In [3]) ...: ename: evalue"
}

type ipynb struct {
	Cells []struct {
		CellType       string          `json:"cell_type"`
		Source         json.RawMessage `json:"source"`
		ExecutionCount *int            `json:"execution_count"`
		Outputs        []struct {
			OutputType string                     `json:"output_type"`
			Data       map[string]json.RawMessage `json:"data"`
			Ename      string                     `json:"ename"`
			Evalue     string                     `json:"evalue"`
			Name       string                     `json:"name"`
			Text       json.RawMessage            `json:"text"`
		} `json:"outputs"`
	} `json:"cells"`
}

// multiline decodes nbformat's "string or list of strings".
func multiline(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var l []string
	if json.Unmarshal(raw, &l) == nil {
		return strings.Join(l, "")
	}
	return ""
}

func firstLine(src string) string {
	for _, l := range strings.Split(src, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && l != "%%" {
			if len(l) > 70 {
				l = l[:67] + "..."
			}
			return l
		}
	}
	return ""
}

// readNotebook parses an executed notebook.
func readNotebook(path string) (*notebookInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var nb ipynb
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, fmt.Errorf("%s: not a notebook: %w", path, err)
	}
	info := &notebookInfo{chartCell: map[string]cellInfo{}}
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		ci := cellInfo{Pos: i + 1, First: firstLine(multiline(c.Source))}
		if c.ExecutionCount != nil {
			ci.Exec = *c.ExecutionCount
		}
		var stderr strings.Builder
		for _, o := range c.Outputs {
			switch o.OutputType {
			case "stream":
				if o.Name == "stderr" {
					stderr.WriteString(multiline(o.Text))
				}
			case "error":
				info.errors = append(info.errors, fmt.Sprintf("%v raised %s: %s", ci, o.Ename, errorLine(o.Evalue)))
			case "display_data", "execute_result", "update_display_data":
				h := multiline(o.Data["text/html"])
				for _, m := range viz.ParseCharts(h) {
					info.chartCell[m.ID] = ci
					info.chartIDs = append(info.chartIDs, m.ID)
				}
			}
		}
		// GoNB v0.11.1 reports only build errors as cell errors: a cell program that
		// panics or exits non-zero just prints "exit status N" to stderr and the cell
		// "succeeds" (nbconvert exits 0). Catch those here.
		if m := exitRe.FindString(stderr.String()); m != "" {
			msg := strings.TrimSpace(m)
			if p := panicRe.FindStringSubmatch(stderr.String()); p != nil {
				msg += ", panic: " + p[1]
			}
			info.errors = append(info.errors, fmt.Sprintf("%v failed at run time (%s)", ci, msg))
		}
	}
	return info, nil
}

var (
	exitRe  = regexp.MustCompile(`(?m)^(?:exit status [1-9][0-9]*|signal: [^\n]+)$`)
	panicRe = regexp.MustCompile(`(?m)^panic: (.{0,300})`)
)

// errorLine picks the first informative line of a GoNB error value (skipping the
// "# gonb_xxxx" package header that go build prints).
func errorLine(v string) string {
	for _, l := range strings.Split(v, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "# ") {
			if len(l) > 300 {
				l = l[:297] + "..."
			}
			return l
		}
	}
	return strings.TrimSpace(v)
}

var promptRe = regexp.MustCompile(`In(?:&nbsp;|\x{a0}|\s)*\[\s*(\d*)\s*\]:`)

// promptBefore returns the execution count of the last "In [n]:" prompt before offset.
func promptBefore(dom string, offset int) int {
	ms := promptRe.FindAllStringSubmatchIndex(dom[:offset], -1)
	if len(ms) == 0 {
		return 0
	}
	last := ms[len(ms)-1]
	n, _ := strconv.Atoi(dom[last[2]:last[3]])
	return n
}

// checkNotebook renders one HTML export in headless Chromium and checks its charts.
func checkNotebook(ctx context.Context, htmlPath string, cfg config) (result, error) {
	base := strings.TrimSuffix(strings.TrimSuffix(htmlPath, ".html"), ".htm")
	res := result{Notebook: baseName(base), HTML: htmlPath}
	var nb *notebookInfo
	if cfg.UseIPYNB {
		if _, err := os.Stat(base + ".ipynb"); err == nil {
			var err error
			if nb, err = readNotebook(base + ".ipynb"); err != nil {
				return res, err
			}
			res.Problems = append(res.Problems, nb.errors...)
		}
	}
	static, err := os.ReadFile(htmlPath)
	if err != nil {
		return res, err
	}
	res.Problems = append(res.Problems, externalScripts(string(static))...)
	dom, err := viz.DumpDOM(ctx, htmlPath, cfg.BudgetMS)
	if err != nil {
		return res, err
	}
	if strings.Contains(string(static), "MathJax.js") && texMath.MatchString(string(static)) && !strings.Contains(dom, "mjx-chtml") {
		res.Problems = append(res.Problems, "the page loads MathJax but no formula was typeset (is the assets/ folder next to the HTML?)")
	}
	charts := viz.ParseCharts(dom)
	res.Charts = len(charts)
	where := func(m viz.ChartMarker) string {
		if nb != nil {
			if c, ok := nb.chartCell[m.ID]; ok {
				return c.String()
			}
		}
		if n := promptBefore(dom, m.Offset); n > 0 {
			return fmt.Sprintf("cell In [%d]", n)
		}
		return "outside any code cell"
	}
	seen := map[string]bool{}
	for _, m := range charts {
		seen[m.ID] = true
		label := m.ID
		if m.Title != "" {
			label += fmt.Sprintf(" %q", m.Title)
		}
		switch m.Status {
		case "ok":
			res.OK++
			if cfg.MaxLogDecades > 0 && m.LogDecades > cfg.MaxLogDecades {
				res.Problems = append(res.Problems, fmt.Sprintf("%s: chart %s has a log axis over %.0f decades (at most %g): limit it to the data that matters", where(m), label, m.LogDecades, cfg.MaxLogDecades))
			}
		case "error":
			res.Problems = append(res.Problems, fmt.Sprintf("%s: chart %s failed: %s", where(m), label, m.Error))
		case "pending", "":
			res.Problems = append(res.Problems, fmt.Sprintf("%s: chart %s never drew (status %q: its script did not run or window.echarts never loaded within %d ms)", where(m), label, m.Status, cfg.BudgetMS))
		default:
			res.Problems = append(res.Problems, fmt.Sprintf("%s: chart %s has unknown status %q", where(m), label, m.Status))
		}
	}
	if nb != nil {
		// Every chart the kernel produced must be in the exported page (docs/lab.md, trap 2: a large
		// display can be lost), and markers must match charts one to one.
		for _, id := range nb.chartIDs {
			if !seen[id] {
				res.Problems = append(res.Problems, fmt.Sprintf("%v: chart %s is in the notebook but not in the rendered HTML", nb.chartCell[id], id))
			}
		}
		if len(nb.chartIDs) != len(charts) {
			res.Problems = append(res.Problems, fmt.Sprintf("%d charts in the notebook outputs but %d in the rendered HTML", len(nb.chartIDs), len(charts)))
		}
	}
	if res.Charts < cfg.MinCharts {
		res.Problems = append(res.Problems, fmt.Sprintf("only %d charts drawn, want at least %d", res.Charts, cfg.MinCharts))
	}
	return res, nil
}

// texMath matches inline TeX as markdown cells leave it in the HTML: "$\gamma$", "$$\frac".
var texMath = regexp.MustCompile(`\$\$?\\[A-Za-z]+[^$<]*\$`)

// scriptSrc matches the src attribute of a script element.
var scriptSrc = regexp.MustCompile(`(?i)<script[^>]*\ssrc\s*=\s*["']([^"']+)["']`)

// externalScripts lists the scripts a page loads from the network or from an absolute path
// on this machine: such a page renders only online or only here (nbconvert's default HTML
// loads MathJax from file:///usr/share/javascript/mathjax on Debian).
func externalScripts(page string) []string {
	var out []string
	for _, m := range scriptSrc.FindAllStringSubmatch(page, -1) {
		src := strings.ToLower(m[1])
		if strings.HasPrefix(src, "http:") || strings.HasPrefix(src, "https:") || strings.HasPrefix(src, "//") ||
			strings.HasPrefix(src, "file:") || strings.HasPrefix(src, "/") {
			out = append(out, fmt.Sprintf("the page loads a script from %s: it must be inlined or relative to the page to render offline on any machine", m[1]))
		}
	}
	return out
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
