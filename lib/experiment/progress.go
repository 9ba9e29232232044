package experiment

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// emit reports ev to o.Progress, or as one plain line to o.Log when no Progress is set.
func (o Options) emit(ev Event) {
	if o.Progress != nil {
		o.Progress(ev)
		return
	}
	if o.Log != nil {
		fmt.Fprintf(o.Log, "[%s] %s %d/%d %s\n", ev.Run, ev.Stage, ev.Done, ev.Total, ev.Message)
	}
}

// ErrNotCached is wrapped by the errors of Train and Run under Options.CacheOnly when the
// cache lacks the entry.
var ErrNotCached = errors.New("not in the cache")

func notCached(c Config, what string) error {
	return fmt.Errorf("experiment: %s of %s: %w (compute it with 'noisecurv grid' or 'noisecurv reproduce')", what, c.Name(), ErrNotCached)
}

// IsTerminal reports whether w is a character device such as a terminal (and $TERM is not
// "dumb"): where a Printer can rewrite its line in place.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Printer shows progress events to a person. On a terminal (TTY true) each stage of a run has
// one line, rewritten in place with a carriage return, with the elapsed time and an estimate
// of the time left:
//
//	[mnist-mlp-ce-c10-s0] train  37/100 epochs  12.3s elapsed  ETA 21s  loss 0.012 acc 1 lr 0.05
//
// In a log (TTY false) it writes plain timestamped lines: one when a stage starts, then at
// most one per Every, and one when it ends. Text written to the Printer itself (it is an
// io.Writer, for Options.Log) is passed through, clearing the terminal line first.
// A Printer is safe for concurrent use; its Event method is an Options.Progress.
type Printer struct {
	// TTY selects the in-place line; NewPrinter sets it with IsTerminal.
	TTY bool
	// Every is the least time between two lines of one stage in a log (default 5 s).
	Every time.Duration
	// Width truncates the terminal line (default $COLUMNS - 1, else 119) so that it never
	// wraps, which would defeat the carriage return.
	Width int

	w       io.Writer
	now     func() time.Time
	mu      sync.Mutex
	last    time.Time // the previous event: a stage starts when the one before it ended
	cur     *stageState
	onTTY   bool // a status line is on the terminal, not yet ended by a newline
	tailNew bool // the last passed-through text ended with a newline (or none was written)
}

type stageState struct {
	run, stage   string
	start, shown time.Time
	done, total  int
	msg          string
	finished     bool   // ended before reaching total (early stop, interruption, Close)
	shownMsg     string // the message of the last line shown
	firstAt      time.Time
	firstDone    int
}

// NewPrinter returns a Printer writing to w, in terminal mode when w is a terminal.
func NewPrinter(w io.Writer) *Printer {
	p := &Printer{TTY: IsTerminal(w), w: w, now: time.Now, tailNew: true}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 20 {
		p.Width = n - 1
	}
	p.last = p.now()
	return p
}

func (p *Printer) every() time.Duration {
	if p.Every > 0 {
		return p.Every
	}
	return 5 * time.Second
}

func (p *Printer) width() int {
	if p.Width > 0 {
		return p.Width
	}
	return 119
}

// Event shows one progress event (see Options.Progress).
func (p *Printer) Event(ev Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if ev.Message == "cached" {
		// On a terminal the next line overwrites it: a warm reproduce loads dozens of runs.
		p.finish(now)
		p.line(now, fmt.Sprintf("[%s] %s: cached", ev.Run, ev.Stage), !p.TTY)
		p.last = now
		return
	}
	if p.cur == nil || p.cur.run != ev.Run || p.cur.stage != ev.Stage {
		p.finish(now)
		p.cur = &stageState{run: ev.Run, stage: ev.Stage, start: p.last, firstAt: now, firstDone: ev.Done}
	}
	s := p.cur
	first := s.shown.IsZero()
	s.done, s.total, s.msg = ev.Done, ev.Total, ev.Message
	p.last = now
	end := s.total > 0 && s.done >= s.total
	if p.TTY {
		if first || end || now.Sub(s.shown) >= 100*time.Millisecond {
			s.shown = now
			p.line(now, s.format(now, "  "), end)
		}
		if end {
			p.cur = nil
		}
		return
	}
	if first || end || now.Sub(s.shown) >= p.every() {
		s.shown, s.shownMsg = now, s.msg
		p.line(now, s.format(now, " "), true)
	}
	if end {
		p.cur = nil
	}
}

// Close ends the current stage's line (a stage that never reached its total, such as a
// training run stopped early or an interrupted one) and leaves the terminal on a fresh line.
// Call it when the work is over, or before writing results to a terminal; the Printer can be
// used again after.
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finish(p.now())
	if p.onTTY {
		fmt.Fprint(p.w, "\n")
		p.onTTY = false
	}
	return nil
}

// finish ends the current stage: its last state with the total elapsed time.
func (p *Printer) finish(now time.Time) {
	s := p.cur
	if s == nil {
		return
	}
	p.cur = nil
	s.finished = true
	if !p.TTY && !s.shown.IsZero() && s.shownMsg == s.msg {
		s.msg = "" // the log has it on the line before
	}
	sep := " "
	if p.TTY {
		sep = "  "
	}
	p.line(now, s.format(now, sep), true)
}

// line writes a status line: on a terminal it replaces the current one (ending it when end);
// in a log it is a timestamped line.
func (p *Printer) line(now time.Time, text string, end bool) {
	if !p.TTY {
		p.ensureNewline()
		fmt.Fprintf(p.w, "%s %s\n", now.Format("2006-01-02 15:04:05"), text)
		return
	}
	if !p.onTTY {
		p.ensureNewline()
	}
	if r := []rune(text); len(r) > p.width() {
		text = string(r[:p.width()-1]) + "…"
	}
	fmt.Fprintf(p.w, "\r%s\x1b[K", text)
	p.onTTY = true
	if end {
		fmt.Fprint(p.w, "\n")
		p.onTTY = false
	}
}

// ensureNewline starts a fresh line after passed-through text that did not end one.
func (p *Printer) ensureNewline() {
	if !p.tailNew {
		fmt.Fprint(p.w, "\n")
		p.tailNew = true
	}
}

// Write passes text through (downloads, warnings), clearing the terminal's status line first
// and drawing it again after.
func (p *Printer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(b) == 0 {
		return 0, nil
	}
	if p.onTTY {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.onTTY = false
	}
	n, err := p.w.Write(b)
	p.tailNew = b[len(b)-1] == '\n'
	if p.TTY && p.cur != nil && p.tailNew && err == nil {
		now := p.now()
		p.line(now, p.cur.format(now, "  "), false)
	}
	return n, err
}

// format is the stage's status: run, stage, progress, elapsed time, ETA and message.
func (s *stageState) format(now time.Time, sep string) string {
	el := now.Sub(s.start)
	parts := []string{fmt.Sprintf("[%s] %s", s.run, s.stage)}
	if s.total > 0 {
		unit := ""
		if s.stage == "train" {
			unit = " epochs"
		}
		parts = append(parts, fmt.Sprintf("%d/%d%s", s.done, s.total, unit))
	}
	parts = append(parts, FormatDuration(el)+" elapsed")
	switch {
	case s.finished:
		parts = append(parts, "finished")
	case s.total > 0 && s.done >= s.total:
		parts = append(parts, "done")
	case s.total > 0 && s.done > s.firstDone:
		// The rate since the stage's first event: the time before it may include set-up
		// (loading data) that later units do not repeat.
		eta := time.Duration(float64(now.Sub(s.firstAt)) * float64(s.total-s.done) / float64(s.done-s.firstDone))
		parts = append(parts, "ETA "+FormatDuration(eta))
	case s.total > 0 && s.done > 0:
		eta := time.Duration(float64(el) * float64(s.total-s.done) / float64(s.done))
		parts = append(parts, "ETA "+FormatDuration(eta))
	}
	if s.msg != "" {
		parts = append(parts, s.msg)
	}
	return strings.Join(parts, sep)
}

// FormatDuration writes d for people: "850ms", "12.3s", "4m05s", "2h03m".
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}
