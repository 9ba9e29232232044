package experiment

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakeClock advances by step on every reading.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time { c.t = c.t.Add(c.step); return c.t }

func newTestPrinter(tty bool, step time.Duration) (*Printer, *bytes.Buffer) {
	var b bytes.Buffer
	clk := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), step: step}
	p := &Printer{TTY: tty, w: &b, now: clk.now, tailNew: true}
	p.last = clk.t
	return p, &b
}

// TestPrinterLogIsThrottled: 100 epochs one second apart in a log give a start line, one
// line per 5 s and an end line, each timestamped, not one line per epoch.
func TestPrinterLogIsThrottled(t *testing.T) {
	p, b := newTestPrinter(false, time.Second)
	for e := 1; e <= 100; e++ {
		p.Event(Event{Run: "r", Stage: "train", Done: e, Total: 100, Message: fmt.Sprintf("loss %d", e)})
	}
	p.Event(Event{Run: "r", Stage: "analyze", Done: 0, Total: 1, Message: "fc2: dense"})
	p.Close()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) < 20 || len(lines) > 24 {
		t.Fatalf("%d lines for 100 epochs at 1 s with Every = 5 s, want about 22:\n%s", len(lines), b.String())
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "2026-01-02 03:") {
			t.Errorf("line without a timestamp: %q", l)
		}
	}
	if !strings.Contains(lines[0], "[r] train 1/100 epochs") {
		t.Errorf("first line %q, want the stage start", lines[0])
	}
	if l := lines[len(lines)-3]; !strings.Contains(l, "100/100 epochs") || !strings.Contains(l, "done") {
		t.Errorf("training's last line %q, want 100/100 ... done", l)
	}
	if l := lines[len(lines)-1]; !strings.Contains(l, "[r] analyze") || !strings.Contains(l, "finished") {
		t.Errorf("last line %q, want analyze ... finished (from Close)", l)
	}
	// After epoch 11 of 100, 11 s elapsed (the stage began at the printer's start): 89 s left.
	if !strings.Contains(b.String(), "train 11/100 epochs 11.0s elapsed ETA 1m29s loss 11\n") {
		t.Errorf("no linear ETA in\n%s", b.String())
	}
}

// TestPrinterTerminalRewritesOneLine: on a terminal a stage is one line rewritten with
// carriage returns and ended by one newline; passed-through text clears it and redraws it.
func TestPrinterTerminalRewritesOneLine(t *testing.T) {
	p, b := newTestPrinter(true, time.Second)
	p.Width = 60
	p.Event(Event{Run: "r", Stage: "train", Done: 1, Total: 3})
	fmt.Fprintln(p, "downloading mnist")
	p.Event(Event{Run: "r", Stage: "train", Done: 2, Total: 3, Message: strings.Repeat("x", 100)})
	p.Event(Event{Run: "r", Stage: "train", Done: 3, Total: 3})
	p.Event(Event{Run: "r", Stage: "analyze", Done: 1, Total: 1, Message: "cached"})
	out := b.String()
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("%d newlines, want 2 (the download line, train's end; the cached line stays open):\n%q", n, out)
	}
	if !strings.Contains(out, "\r\x1b[Kdownloading mnist\n\r[r] train  1/3 epochs") {
		t.Errorf("passed-through text does not clear and redraw the status line:\n%q", out)
	}
	for _, seg := range strings.Split(out, "\r") {
		if n := len([]rune(strings.TrimSuffix(strings.TrimSuffix(seg, "\n"), "\x1b[K"))); n > 60 {
			t.Errorf("terminal line of %d characters, wider than Width = 60: %q", n, seg)
		}
	}
	if !strings.Contains(out, "[r] train  3/3 epochs  ") || !strings.Contains(out, "done") {
		t.Errorf("no final train line:\n%q", out)
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{850 * time.Millisecond, "850ms"}, {12300 * time.Millisecond, "12.3s"}, {245 * time.Second, "4m05s"}, {7380 * time.Second, "2h03m"}} {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
