// Package report runs everything `noisecurv reproduce` runs (the paper's claims, then the
// explorations beyond it) and writes what comes out: a standalone HTML page, Markdown, CSV
// and JSON tables, and the small committed summary (Summary) from which the README's result
// tables are generated, so that the README cannot disagree with the evidence.
package report

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/noisecurv/noisecurv/lib/atomicfile"
	"github.com/noisecurv/noisecurv/lib/claims"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/explore"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// All lists everything `noisecurv reproduce` runs: the paper's claims in the paper's order
// (claims.All), then the explorations beyond the paper (explore.All).
func All() []claims.Entry {
	return append(claims.All(), explore.All()...)
}

// Outcome is one claim's report or the error that stopped it.
type Outcome struct {
	Entry   claims.Entry
	Report  *claims.Report
	Err     error
	Seconds float64
}

// RunAll runs the selected entries of All (all when only is empty, else those whose ID is in
// only), continuing past failures so one broken claim does not hide the others.
func RunAll(ctx context.Context, o claims.Options, only []string) []Outcome {
	claims.ResetMissingData()
	var out []Outcome
	for _, e := range All() {
		if len(only) > 0 && !contains(only, e.ID) {
			continue
		}
		if ctx.Err() != nil {
			out = append(out, Outcome{Entry: e, Err: ctx.Err()})
			continue
		}
		start := time.Now()
		r, err := e.Fn(ctx, o)
		out = append(out, Outcome{Entry: e, Report: r, Err: err, Seconds: time.Since(start).Seconds()})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// WriteReport writes dir/index.html (a standalone page: summary table, then each claim with
// its figures), dir/claims.json and dir/claims.csv (every row of every claim), and
// dir/runs.csv and dir/runs.json (every cached experiment's fits). All files are written
// atomically.
func WriteReport(dir string, o claims.Options, outs []Outcome) error {
	page := &viz.Page{Title: "noisecurv: SGD noise covariance vs curvature (arXiv 2602.05600)"}
	summary := &viz.Table{Caption: "Claims, " + o.PresetName() + " preset",
		Header: []string{"claim", "title", "notebook", "verdict", "why", "seconds"}}
	nbDir := notebooksLink(dir)
	for _, oc := range outs {
		if oc.Err != nil {
			summary.Rows = append(summary.Rows, []string{oc.Entry.ID, oc.Entry.Name, "", "error", oc.Err.Error(), fmt.Sprintf("%.0f", oc.Seconds)})
			summary.Links = append(summary.Links, []string{"#" + claimAnchor(oc.Entry.ID)})
			continue
		}
		r := oc.Report
		summary.Rows = append(summary.Rows, []string{r.ID, r.Title, r.Notebook, string(r.Verdict), r.Why, fmt.Sprintf("%.0f", oc.Seconds)})
		nb := ""
		if nbDir != "" && r.Notebook != "" {
			nb = nbDir + "/" + r.Notebook
		}
		summary.Links = append(summary.Links, []string{"#" + claimAnchor(r.ID), "#" + claimAnchor(r.ID), nb})
	}
	top := missingDataItems()
	top = append(top, viz.Text(fmt.Sprintf("Generated %s with the %s preset. Regenerate with `go run ./cmd/noisecurv reproduce%s`.",
		time.Now().UTC().Format(time.RFC3339), o.PresetName(), map[bool]string{true: " --paper", false: ""}[o.Paper])), summary)
	page.Add("Summary", top...)
	for _, oc := range outs {
		if oc.Err != nil {
			page.Sections = append(page.Sections, viz.Section{Heading: oc.Entry.ID + " " + oc.Entry.Name, ID: claimAnchor(oc.Entry.ID),
				Items: []viz.Item{viz.Text("Failed: " + oc.Err.Error())}})
			continue
		}
		page.Sections = append(page.Sections, viz.Section{Heading: oc.Report.ID + " " + oc.Report.Title, ID: claimAnchor(oc.Report.ID),
			Items: oc.Report.Items()})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := page.WriteFile(filepath.Join(dir, "index.html")); err != nil {
		return err
	}
	// Every claim row, as JSON and CSV.
	type jrow struct {
		Claim, Quantity, Measured, Paper, Note, Verdict string
	}
	var rows []jrow
	for _, oc := range outs {
		if oc.Report == nil {
			continue
		}
		for _, r := range oc.Report.Rows {
			rows = append(rows, jrow{oc.Report.ID, r.Quantity, r.Measured, r.Paper, r.Note, string(oc.Report.Verdict)})
		}
	}
	jb, _ := json.MarshalIndent(rows, "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(dir, "claims.json"), jb); err != nil {
		return err
	}
	var sb strings.Builder
	cw := csv.NewWriter(&sb)
	cw.Write([]string{"claim", "quantity", "measured", "paper", "note", "verdict"})
	for _, r := range rows {
		cw.Write([]string{r.Claim, r.Quantity, r.Measured, r.Paper, r.Note, r.Verdict})
	}
	cw.Flush()
	if err := atomicfile.WriteFile(filepath.Join(dir, "claims.csv"), []byte(sb.String())); err != nil {
		return err
	}
	sum := BuildSummary(o, outs)
	if err := atomicfile.WriteFile(filepath.Join(dir, "results.md"), []byte(Markdown(o, outs, sum))); err != nil {
		return err
	}
	if err := WriteSummary(filepath.Join(dir, "summary.json"), sum); err != nil {
		return err
	}
	return writeRuns(dir, o)
}

// claimAnchor is the report's anchor for a claim's section ("#claim-C4-C5").
func claimAnchor(id string) string { return "claim-" + id }

// notebooksLink returns the notebooks/ folder of the repository relative to the report folder
// dir (for links from the summary), or "" when dir is not inside the repository.
func notebooksLink(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for d := abs; ; d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, "notebooks")); err == nil && st.IsDir() {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				rel, err := filepath.Rel(abs, filepath.Join(d, "notebooks"))
				if err != nil {
					return ""
				}
				return filepath.ToSlash(rel)
			}
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Markdown renders the outcomes as GitHub Markdown: the verdict table (each claim's
// criteria with measured value, threshold, control and margin), Table 1 from the cache, and
// each claim's measurements. The README's result tables are generated from the same
// summary (ReadmeSections).
func Markdown(o claims.Options, outs []Outcome, sum Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# noisecurv results, %s preset\n\nRegenerate with `%s`.\n\n", o.PresetName(), sum.Command)
	if t := missingDataText(); t != "" {
		b.WriteString(t + "\n")
	}
	fmt.Fprintf(&b, "## Verdicts\n\n%s\n## Table 1\n\n%s", sum.VerdictTable(), sum.Table1())
	for _, oc := range outs {
		if oc.Report == nil {
			continue
		}
		r := oc.Report
		fmt.Fprintf(&b, "\n## %s %s\n\nVerdict: **%s**. %s\n\n| quantity | measured | paper | note |\n|---|---|---|---|\n", r.ID, r.Title, r.Verdict, r.Why)
		for _, row := range r.Rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(row.Quantity), mdCell(row.Measured), mdCell(row.Paper), mdCell(row.Note))
		}
	}
	return b.String()
}

// mdCell escapes a table cell: pipes would end it, newlines would end the row.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

// writeRuns tabulates every cached experiment result: one row per run, epoch and layer.
func writeRuns(dir string, o claims.Options) error {
	results, err := experiment.CachedResults(o.Run)
	if err != nil {
		return err
	}
	sort.Slice(results, func(i, j int) bool { return results[i].Config.Name() < results[j].Config.Name() })
	header := []string{"run", "key", "dataset", "model", "loss", "act", "classes", "per_class", "batch", "seed", "epoch", "layer", "D", "N"}
	keys := experiment.FitKeys()
	for _, k := range keys {
		header = append(header, "gamma_"+k.String(), "r2_"+k.String())
	}
	var sb strings.Builder
	cw := csv.NewWriter(&sb)
	cw.Write(header)
	type jl struct {
		Run, Key, Layer string
		Epoch, D, N     int
		Config          experiment.Config
		Gamma, R2       map[string]*float64
	}
	var js []jl
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return fmt.Sprintf("%.6g", v)
	}
	ptr := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	for _, r := range results {
		c := r.Config
		for _, s := range r.Snapshots {
			for _, l := range s.Layers {
				row := []string{c.Name(), r.Key, c.Dataset, c.Model, c.Loss, c.Act, fmt.Sprint(c.Classes), fmt.Sprint(c.PerClass),
					fmt.Sprint(c.Batch), fmt.Sprint(c.Seed), fmt.Sprint(s.Epoch), l.Target, fmt.Sprint(l.D), fmt.Sprint(r.N)}
				j := jl{Run: c.Name(), Key: r.Key, Layer: l.Target, Epoch: s.Epoch, D: l.D, N: r.N, Config: c,
					Gamma: map[string]*float64{}, R2: map[string]*float64{}}
				for _, k := range keys {
					f, ok := l.Fit(k)
					if !ok {
						row = append(row, "", "")
						continue
					}
					row = append(row, num(f.Slope), num(f.R2))
					j.Gamma[k.String()], j.R2[k.String()] = ptr(f.Slope), ptr(f.R2)
				}
				cw.Write(row)
				js = append(js, j)
			}
		}
	}
	cw.Flush()
	if err := atomicfile.WriteFile(filepath.Join(dir, "runs.csv"), []byte(sb.String())); err != nil {
		return err
	}
	jb, err := json.MarshalIndent(js, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "runs.json"), jb)
}
