package viz

import (
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// Inline display in GoNB notebooks.
//
// Each GoNB cell runs as a new process, but all cells share one browser page. So the
// state "ECharts is loaded" lives in the browser: the loader checks window.echarts and
// only then evaluates the bundle. Setup sends the ~1 MB loader (first cell); Show sends
// only chart snippets, which wait for window.echarts and, if it never appears (Setup
// forgotten), mark their div with an error saying so after WaitForEChartsMS.

var (
	inlineMu  sync.Mutex
	inlineR   *renderer
	warnOnce  sync.Once
	stderrOut io.Writer = os.Stderr
)

func inlineRenderer() *renderer {
	inlineMu.Lock()
	defer inlineMu.Unlock()
	if inlineR == nil {
		inlineR = newRandomRenderer()
	}
	return inlineR
}

// IsNotebook reports whether the program runs inside a GoNB cell.
func IsNotebook() bool { return gonbui.IsNotebook }

// SetupHTML is what Setup displays: the loader plus a status line that the loader fills.
func SetupHTML() string {
	r := inlineRenderer()
	inlineMu.Lock()
	id := r.nextID()
	inlineMu.Unlock()
	return fmt.Sprintf(`<div id="%s" class="noisecurv-setup" style="font:12px monospace;color:#666">noisecurv/viz: loading ECharts %s…</div>
%s<script>(function(){var el=document.getElementById(%q);if(el){el.textContent=window.echarts?"noisecurv/viz: ECharts "+window.echarts.version+" ready (offline bundle)":"noisecurv/viz: ECharts failed to load";}})();</script>
`, id, EChartsVersion, LoaderHTML(), id)
}

// Setup loads ECharts into the notebook page. Call it once, in the first cell; it is
// harmless to call again (the browser skips the bundle when window.echarts exists,
// though the bytes are sent again). Outside GoNB it does nothing.
func Setup() {
	if !gonbui.IsNotebook {
		return
	}
	gonbui.DisplayHTML(SetupHTML())
	// The kernel closes the display pipe when the cell program exits: wait until the
	// megabyte has really been handed over (docs/lab.md, trap 2).
	gonbui.Sync()
}

// Show displays items (figures, grids, tables, text) in the current GoNB cell. A nil
// or failing item is displayed as an error box marked data-chart-status="error" (so the
// notebook checker fails on it) and its error is returned. Outside GoNB, Show writes a
// one-line note to stderr and returns nil.
func Show(items ...Item) error {
	if !gonbui.IsNotebook {
		warnOnce.Do(func() {
			fmt.Fprintf(stderrOut, "viz.Show: not running under GoNB; %d item(s) not displayed (use Page.WriteFile or Figure.WriteHTML)\n", len(items))
		})
		return nil
	}
	s, err := ShowHTML(items...)
	gonbui.DisplayHTML(s)
	gonbui.Sync()
	return err
}

// ShowHTML is the HTML that Show displays (exposed for tests and for other front ends).
func ShowHTML(items ...Item) (string, error) {
	r := inlineRenderer()
	inlineMu.Lock()
	defer inlineMu.Unlock()
	var b strings.Builder
	var errs []string
	for i, it := range items {
		var h string
		var err error
		if it == nil || isNilItem(it) {
			err = fmt.Errorf("viz.Show: item %d is nil (did its builder return an error?)", i)
		} else {
			h, err = it.renderHTML(r)
		}
		if err != nil {
			errs = append(errs, err.Error())
			fmt.Fprintf(&b, `<div id="%s" class="%s" %s="error" %s="%s" style="color:#b00;font:13px monospace;border:1px solid #b00;padding:6px;white-space:pre-wrap">%s</div>`+"\n",
				r.nextID(), ChartClass, StatusAttr, ErrorAttr, html.EscapeString(err.Error()), html.EscapeString(err.Error()))
			continue
		}
		b.WriteString(h)
	}
	if errs != nil {
		return b.String(), fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return b.String(), nil
}

// isNilItem catches typed nil pointers inside the Item interface.
func isNilItem(it Item) bool {
	switch v := it.(type) {
	case *Figure:
		return v == nil
	case *Grid:
		return v == nil
	case *Table:
		return v == nil
	}
	return false
}

// Must returns f, or panics with err: for notebook cells, where a panic fails the cell.
func Must(f *Figure, err error) *Figure {
	if err != nil {
		panic(err)
	}
	return f
}

// Progress shows the progress of a long cell. In GoNB it is a transient bar updated in
// place (gonbui.UpdateHTML with a transient display id); elsewhere it prints a line to
// stderr at most every PrintEvery. Safe for concurrent use.
type Progress struct {
	Label string
	Total int
	// PrintEvery throttles both the HTML updates (÷10) and the stderr lines.
	PrintEvery time.Duration

	mu       sync.Mutex
	id       string
	start    time.Time
	lastSend time.Time
	done     int
	finished bool
	out      io.Writer
}

// NewProgress starts a progress display for total steps (total ≤ 0: unknown).
func NewProgress(label string, total int) *Progress {
	p := &Progress{Label: label, Total: total, PrintEvery: 10 * time.Second, start: time.Now(), out: stderrOut}
	if gonbui.IsNotebook {
		p.id = "noisecurv-progress-" + gonbui.UniqueId()
		p.out = os.Stdout // the final line belongs to the cell's normal output
		gonbui.UpdateHTML(p.id, p.html(""))
	}
	return p
}

// Update sets the number of finished steps and an optional message (e.g. "epoch 3 loss 0.41").
func (p *Progress) Update(done int, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.done = done
	now := time.Now()
	every := p.PrintEvery
	if gonbui.IsNotebook {
		every /= 10
	}
	if now.Sub(p.lastSend) < every && !(p.Total > 0 && done >= p.Total) {
		return
	}
	p.lastSend = now
	if gonbui.IsNotebook {
		gonbui.UpdateHTML(p.id, p.html(msg))
		return
	}
	fmt.Fprintln(p.out, p.line(msg))
}

// Restart reuses the display for the next task: a new label and total, the count and clock
// reset. In GoNB the same bar is redrawn in place, so a sequence of tasks (a run's training,
// then its analysis, then the next run) shows one bar that never stacks or overlaps others.
// It also revives a bar after Done.
func (p *Progress) Restart(label string, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Label, p.Total = label, total
	p.done, p.finished = 0, false
	p.start, p.lastSend = time.Now(), time.Time{}
	if gonbui.IsNotebook {
		gonbui.UpdateHTML(p.id, p.html(""))
	}
}

// Tasks shows a sequence of tasks as one Progress: the bar is made on the first Update and
// restarted with the new label and total whenever the task changes, so that a notebook cell
// shows one bar however many runs and stages it goes through. Not safe for concurrent use.
type Tasks struct {
	bar  *Progress
	task string
}

// Update reports done of total steps of the named task, with an optional message.
func (t *Tasks) Update(task string, done, total int, msg string) {
	switch {
	case t.bar == nil:
		t.bar = NewProgress(task, total)
	case task != t.task:
		t.bar.Restart(task, total)
	}
	t.task = task
	t.bar.Update(done, msg)
}

// Done removes the transient bar (in GoNB) and prints a final line with the elapsed time.
func (p *Progress) Done(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	if gonbui.IsNotebook {
		gonbui.UpdateHTML(p.id, "")
		gonbui.Sync()
	}
	fmt.Fprintln(p.out, p.line(msg)+" done")
}

func (p *Progress) fraction() float64 {
	if p.Total <= 0 {
		return 0
	}
	return min(1, max(0, float64(p.done)/float64(p.Total)))
}

func (p *Progress) line(msg string) string {
	el := time.Since(p.start).Round(time.Second)
	s := fmt.Sprintf("%s: %d", p.Label, p.done)
	if p.Total > 0 {
		s += fmt.Sprintf("/%d (%.0f%%)", p.Total, 100*p.fraction())
	}
	s += fmt.Sprintf(" %v", el)
	if msg != "" {
		s += " " + msg
	}
	return s
}

func (p *Progress) html(msg string) string {
	return fmt.Sprintf(`<div style="font:12px monospace;display:flex;align-items:center;gap:8px"><span>%s</span><div style="width:240px;height:10px;background:#eee;border-radius:3px"><div style="width:%.1f%%;height:100%%;background:#1f77b4;border-radius:3px"></div></div><span>%s</span></div>`,
		html.EscapeString(p.Label), 100*p.fraction(), html.EscapeString(p.line(msg)))
}
