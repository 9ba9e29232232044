// Package claims turns experiments into the paper's claims: one function per claim (C1..C8 of
// the paper and v2, listed by All) that runs or loads the needed experiments, computes the
// numbers, draws the figures and decides a verdict from criteria with controls (Criterion,
// Decide). The notebooks call these functions and then explore further; `noisecurv reproduce`
// and `noisecurv report` call the very same functions through package report, so the report
// and the notebooks show the same numbers. Studies beyond the paper live in package explore
// and return the same Report.
package claims

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// Options selects the preset and where results and progress go.
type Options struct {
	// Paper selects the paper's settings; otherwise the fast preset (experiment.Fast).
	Paper bool
	// Seeds are the seeds to run (default {0}); the paper averages over 4.
	Seeds []uint64
	// Models, when not empty, restricts the claims to these architectures ("mlp", "cnn"):
	// on the paper's settings a CNN cell trains for hours on a CPU, and leaving it out keeps
	// every other claim on the paper's settings within reach.
	Models []string
	// Experiment options: cache folder, data folder, progress.
	Run experiment.Options
}

// ParseModels parses a comma-separated list of architectures for Options.Models ("" means
// all), rejecting names other than "mlp" and "cnn".
func ParseModels(list string) ([]string, error) {
	var out []string
	for _, m := range strings.Split(list, ",") {
		if m = strings.TrimSpace(m); m == "" {
			continue
		}
		if m != "mlp" && m != "cnn" {
			return nil, fmt.Errorf("unknown architecture %q (want mlp or cnn)", m)
		}
		out = append(out, m)
	}
	return out, nil
}

// runsModel reports whether the claims run experiments on architecture m under o.
func (o Options) runsModel(m string) bool {
	return len(o.Models) == 0 || slices.ContainsFunc(o.Models, func(s string) bool { return strings.EqualFold(s, m) })
}

// FromEnv returns the options a notebook uses: NOISECURV_PRESET=paper selects the paper's
// settings (anything else, or unset, the fast preset), NOISECURV_SEEDS a count of seeds,
// NOISECURV_MODELS a comma-separated list of architectures (Options.Models), and
// progress goes to a bar in the notebook (or lines on stderr outside one).
func FromEnv() Options {
	o := Options{Paper: strings.EqualFold(os.Getenv("NOISECURV_PRESET"), "paper")}
	var n int
	if _, err := fmt.Sscan(os.Getenv("NOISECURV_SEEDS"), &n); err == nil && n > 0 {
		for s := 0; s < n; s++ {
			o.Seeds = append(o.Seeds, uint64(s))
		}
	}
	models, err := ParseModels(os.Getenv("NOISECURV_MODELS"))
	if err != nil {
		// A notebook cell shows the panic; silently running no model would be worse.
		panic(fmt.Errorf("NOISECURV_MODELS: %w", err))
	}
	o.Models = models
	o.Run.Progress = progressBar()
	return o
}

func (o Options) seeds() []uint64 {
	if len(o.Seeds) == 0 {
		return []uint64{0}
	}
	return o.Seeds
}

// Preset returns the config of one grid cell under these options (paper or fast).
func (o Options) Preset(dataset, model, loss string, classes int, seed uint64) (experiment.Config, error) {
	c, err := experiment.Paper(dataset, model, loss, classes, seed)
	if err != nil {
		return c, err
	}
	if !o.Paper {
		c = experiment.Fast(c)
	}
	return c, nil
}

// PresetName is "paper" or "fast".
func (o Options) PresetName() string {
	if o.Paper {
		return "paper"
	}
	return "fast"
}

// Verdict is the outcome of checking a claim.
type Verdict string

const (
	Reproduced    Verdict = "reproduced"
	Partly        Verdict = "partly reproduced"
	NotReproduced Verdict = "not reproduced"
	Informational Verdict = "shown" // the claim is an interpretation or a tour, nothing to check
)

// Row is one line of a claim's table of measurements: what was measured, the value, and
// what the paper says. Rows inform; Criteria decide.
type Row struct {
	Quantity string
	Measured string
	Paper    string
	Note     string
}

// Report is one claim's outcome: the numbers, the figures and the verdict.
type Report struct {
	ID        string // "C4"
	Title     string
	Statement string // the claim in one paragraph, with its equation
	Notebook  string // "04_power_law.ipynb"
	Rows      []Row
	// Criteria decide the verdict (Decide); Verdict and Why are derived from them.
	Criteria []Criterion
	Figures  []*viz.Figure
	Verdict  Verdict
	Why      string
	Preset   string
}

// newReport starts a claim's report under o.
func newReport(o Options, id, title, notebook, statement string) *Report {
	return &Report{ID: id, Title: title, Notebook: notebook, Statement: statement, Preset: o.PresetName()}
}

// decide sets the verdict from the criteria and appends notes (findings, caveats) to Why.
func (r *Report) decide(notes ...string) {
	r.Verdict, r.Why = Decide(r.Criteria)
	for _, n := range notes {
		if n != "" {
			r.Why += " " + n
		}
	}
}

// Table renders the rows as a viz table (for notebooks and the report).
func (r *Report) Table() *viz.Table {
	t := &viz.Table{Header: []string{"quantity", "measured (" + r.Preset + ")", "paper", "note"}}
	for _, row := range r.Rows {
		t.Rows = append(t.Rows, []string{row.Quantity, row.Measured, row.Paper, row.Note})
	}
	return t
}

// Items returns everything to display for the report: statement, table, figures, verdict.
func (r *Report) Items() []viz.Item {
	items := []viz.Item{viz.Text(r.Statement), viz.Text(fmt.Sprintf("Verdict: %s. %s", r.Verdict, r.Why))}
	if len(r.Criteria) > 0 {
		ct := CriteriaTable(r.Criteria)
		ct.Caption = "Criteria (" + r.Preset + " preset): each statistic against its threshold and control"
		items = append(items, ct)
	}
	items = append(items, r.Table())
	for _, f := range r.Figures {
		items = append(items, f)
	}
	return items
}

// Print writes the table and verdict as plain text (for logs and terminals).
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%s %s [%s preset]\n", r.ID, r.Title, r.Preset)
	for _, row := range r.Rows {
		fmt.Fprintf(w, "  %-40s %-22s paper: %-20s %s\n", row.Quantity, row.Measured, row.Paper, row.Note)
	}
	for _, c := range r.Criteria {
		cells := criterionCells(c)
		fmt.Fprintf(w, "  [%s] %s: %s = %s; threshold %s; control %s; margin %s: %s\n", cells[1], cells[0], cells[2], cells[3], cells[4], cells[5], cells[6], cells[7])
	}
	fmt.Fprintf(w, "  verdict: %s. %s\n", r.Verdict, r.Why)
}

// Show displays the report inline in a notebook.
func (r *Report) Show() error { return viz.Show(r.Items()...) }

// progressBar shows progress events as one bar per notebook cell, relabelled for each run and
// stage (viz.Tasks; a new bar per stage stacked bars in the cell), or, outside a notebook, as
// the lines of an experiment.Printer on stderr.
func progressBar() func(experiment.Event) {
	if !viz.IsNotebook() {
		return experiment.NewPrinter(os.Stderr).Event
	}
	var tasks viz.Tasks
	return func(ev experiment.Event) { tasks.Update(ev.Run+" "+ev.Stage, ev.Done, max(ev.Total, 1), ev.Message) }
}

// Func is the signature of every claim function.
type Func func(ctx context.Context, o Options) (*Report, error)

// Entry names a claim function for the report.
type Entry struct {
	ID   string
	Name string
	Fn   Func
}

// All lists every claim in the paper's order; `noisecurv reproduce` runs them (package
// report), then the explorations beyond the paper (package explore), and the notebooks call
// them one by one.
func All() []Entry {
	return []Entry{
		{"C1", "Fisher vs Hessian", Fisher},
		{"C2", "Activity-Weight Duality", Duality},
		{"C3", "Commutation", Commutation},
		{"C4-C5", "Power law", PowerLaw},
		{"C6a", "Bounds and per-sample spectra", Bounds},
		{"C6b", "Suppression experiment", Suppression},
		{"C7", "The grid", GridTable},
		{"v2", "Layer-wise exponents", LayerWise},
		{"C8", "Interpretation", Interpretation},
	}
}

// Cells are the criterion's text cells as the tables show them: name, kind, statistic,
// measured, threshold, control, margin, outcome.
func (c Criterion) Cells() []string { return criterionCells(c) }
