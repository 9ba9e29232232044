package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/noisecurv/noisecurv/lib/experiment"
)

// help is a command's -h text: what it does, examples, then its flags with their defaults.
type help struct {
	name, args string
	about      string
	examples   []string
	after      func(w io.Writer) // more text after the flags (e.g. the presets' defaults)
}

// flags is a command's flag set with its help text.
type flags struct {
	*flag.FlagSet
	h help
}

// newFlagSet returns a flag set whose -h prints h. Parse errors are returned, not printed:
// parse turns them into usage errors that name the command's -h.
func newFlagSet(h help) *flags {
	fs := flag.NewFlagSet("noisecurv "+h.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flags{fs, h}
}

// parse parses args, rejects positional arguments unless allowed, and prints the help on -h.
func parse(fs *flags, args []string, positional bool) error {
	h := fs.h
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(stdout, fs.FlagSet, h)
			return errHelp
		}
		return usagef("%s: %v (run 'noisecurv %s -h' for the flags)", h.name, err, h.name)
	}
	if !positional && fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q: this command takes flags only (run 'noisecurv %s -h')", h.name, fs.Arg(0), h.name)
	}
	return nil
}

// verb returns the arguments after a sub-command's verb, name ("fetch" in 'noisecurv data
// fetch'). When args do not start with name, -h prints the help (errHelp) and anything else
// is the usage error want.
func verb(fs *flags, args []string, name, want string) ([]string, error) {
	if len(args) > 0 && args[0] == name {
		return args[1:], nil
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		return nil, parse(fs, args, true)
	}
	return nil, usagef("%s", want)
}

func printHelp(w io.Writer, fs *flag.FlagSet, h help) {
	fmt.Fprintf(w, "usage: noisecurv %s %s\n\n%s\n", h.name, h.args, strings.TrimSpace(h.about))
	if len(h.examples) > 0 {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, e := range h.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	fmt.Fprintf(w, "\nFlags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		name, text := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if len(f.Name) == 1 {
			head = "  -" + f.Name
		}
		if name != "" {
			head += " " + name
		}
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && !strings.Contains(text, "(default") {
			text += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		if len(head) <= 22 {
			fmt.Fprintf(w, "%-22s %s\n", head, wrap(text, 23))
		} else {
			fmt.Fprintf(w, "%s\n%23s%s\n", head, "", wrap(text, 23))
		}
	})
	if h.after != nil {
		fmt.Fprintln(w)
		h.after(w)
	}
}

// wrap breaks s into lines of at most 100 columns, indenting continuation lines by indent.
func wrap(s string, indent int) string {
	var b strings.Builder
	col := indent
	for i, word := range strings.Fields(s) {
		if i > 0 {
			if col+1+len(word) > 100 {
				b.WriteString("\n" + strings.Repeat(" ", indent))
				col = indent
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(word)
		col += len(word)
	}
	return b.String()
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flags) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// flagErr is the error for flag name given value: it names both and what is allowed.
func flagErr(name string, value any, want string) error {
	if s, ok := value.(string); ok {
		value = strconv.Quote(s)
	}
	return usagef("flag --%s = %v: want %s", name, value, want)
}

func positive(name string, v int) error {
	if v <= 0 {
		return flagErr(name, v, "a positive integer")
	}
	return nil
}

// finiteIn checks lo <= v < hi (hi excluded when open) and rejects NaN and infinities.
func finiteIn(name string, v, lo, hi float64, open bool, want string) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < lo || v > hi || (open && v == hi) {
		return flagErr(name, v, want)
	}
	return nil
}

func oneOf(name, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return flagErr(name, v, strings.Join(allowed, ", "))
}

// list parses a comma-separated flag value, checking each item against allowed (nil: any).
func list(name, v string, allowed ...string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if allowed != nil {
			if err := oneOf(name, p, allowed...); err != nil {
				return nil, flagErr(name, v, "a comma-separated list of "+strings.Join(allowed, ", "))
			}
		}
		out = append(out, p)
	}
	return out, nil
}

var shardRE = regexp.MustCompile(`^([0-9]+)/([0-9]+)$`)

// parseShard parses "i/n" with 0 <= i < n.
func parseShard(v string) (i, n int, err error) {
	m := shardRE.FindStringSubmatch(v)
	if m == nil {
		return 0, 0, flagErr("shard", v, "i/n with 0 <= i < n, e.g. 2/8")
	}
	i, err1 := strconv.Atoi(m[1])
	n, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil || n <= 0 || i >= n {
		return 0, 0, flagErr("shard", v, "i/n with 0 <= i < n, e.g. 2/8")
	}
	return i, n, nil
}

// progress returns experiment options' progress fields for a command: a Printer on stderr
// (an updating line on a terminal, timestamped lines in a log), or silence with -q. Call
// done when the work is over.
func progress(quiet bool) (o experiment.Options, p *experiment.Printer) {
	if quiet {
		return o, nil
	}
	p = experiment.NewPrinter(stderr)
	o.Progress = p.Event
	o.Log = p
	return o, p
}

// closeProgress ends the printer's current line (nil: quiet).
func closeProgress(p *experiment.Printer) {
	if p != nil {
		p.Close()
	}
}
