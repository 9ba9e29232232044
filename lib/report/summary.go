package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/noisecurv/noisecurv/lib/atomicfile"
	"github.com/noisecurv/noisecurv/lib/claims"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
)

// A Summary is the committed evidence of a reproduce run: every claim's verdict and
// criteria, and every cached Table 1 cell's exponents per seed and rule, with the config
// hash and the code commit that produced them. It is small (tens of KB) so it lives in the
// repository (docs/results/), and the README's result tables are generated from it
// (ReadmeTables, UpdateReadme) so that the two cannot disagree.
type Summary struct {
	Preset    string         `json:"preset"`
	Generated string         `json:"generated"`
	Commit    string         `json:"commit"`
	Command   string         `json:"command"`
	Claims    []ClaimSummary `json:"claims"`
	Cells     []CellSummary  `json:"cells"`
	// Added records each later addition of cells (AddCells from another cache): the
	// command, commit and time, so Table 1 says where every row came from.
	Added []string `json:"added,omitempty"`
}

// ClaimSummary is one claim's verdict and criteria.
type ClaimSummary struct {
	ID       string             `json:"id"`
	Title    string             `json:"title"`
	Notebook string             `json:"notebook"`
	Verdict  string             `json:"verdict"`
	Why      string             `json:"why"`
	Error    string             `json:"error,omitempty"`
	Criteria []CriterionSummary `json:"criteria,omitempty"`
}

// CriterionSummary is a claims.Criterion as text cells (Criterion.Cells) plus its deciding numbers.
type CriterionSummary struct {
	Name, Kind, Statistic, Measured, Threshold, Control, Margin, Outcome string
}

// CellSummary is one cached run of a Table 1 cell: its exponents by fit key ("C/v1",
// "Eh2/v2", ...; NaN fits omitted), its final training accuracy, and how it was computed
// (precision, BLAS backend, wall seconds of training and of the analysis; zero in cells
// summarized before they were recorded).
type CellSummary struct {
	Name         string             `json:"name"`
	Key          string             `json:"key"`
	Dataset      string             `json:"dataset"`
	Model        string             `json:"model"`
	Loss         string             `json:"loss"`
	Classes      int                `json:"classes"`
	Seed         uint64             `json:"seed"`
	NPrime       int                `json:"n_prime"`
	TrainAcc     float64            `json:"train_acc"`
	Epochs       int                `json:"epochs"`
	Gamma        map[string]float64 `json:"gamma"`
	Precision    string             `json:"precision,omitempty"`
	Backend      string             `json:"backend,omitempty"`
	TrainSecs    float64            `json:"train_secs,omitempty"`
	AnalysisSecs float64            `json:"analysis_secs,omitempty"`
}

// WallSecs is the cell's training plus analysis time (0 when not recorded).
func (c CellSummary) WallSecs() float64 { return c.TrainSecs + c.AnalysisSecs }

// commit is the VCS revision the binary was built from, "+dirty" when the tree had
// uncommitted changes. Builds without VCS stamping (-buildvcs=false, go run in some setups)
// ask git about the repository instead; "unknown" when neither knows.
func commit() string {
	rev, dirty := "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if rev == "" {
		root := experiment.RepoRoot()
		out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
		if err != nil {
			return "unknown"
		}
		rev = strings.TrimSpace(string(out))
		st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
		dirty = err == nil && len(bytes.TrimSpace(st)) > 0
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}

// BuildSummary gathers the outcomes of a run of the claims and every cached Table 1 cell of
// o's preset (the paper's four seeds).
func BuildSummary(o claims.Options, outs []Outcome) Summary {
	s := Summary{Preset: o.PresetName(), Generated: time.Now().UTC().Format(time.RFC3339), Commit: commit(), Command: reproduceCommand(o)}
	for _, oc := range outs {
		cs := ClaimSummary{ID: oc.Entry.ID, Title: oc.Entry.Name}
		if oc.Err != nil {
			cs.Verdict, cs.Error = "error", oc.Err.Error()
		} else {
			r := oc.Report
			cs.Title, cs.Notebook, cs.Verdict, cs.Why = r.Title, r.Notebook, string(r.Verdict), r.Why
			for _, c := range r.Criteria {
				v := c.Cells()
				cs.Criteria = append(cs.Criteria, CriterionSummary{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]})
			}
		}
		s.Claims = append(s.Claims, cs)
	}
	s.Cells = CachedCells(o)
	return s
}

// CachedCells summarizes every cached Table 1 cell of o's preset (the paper's four seeds).
func CachedCells(o claims.Options) []CellSummary {
	var cells []CellSummary
	for _, c := range experiment.Grid(experiment.PaperSeeds(), !o.Paper, nil, nil, nil) {
		r, ok := experiment.Cached(c, o.Run)
		if !ok {
			continue
		}
		l, err := r.Final("")
		if err != nil {
			continue
		}
		cell := CellSummary{Name: c.Name(), Key: c.Key(), Dataset: c.Dataset, Model: c.Model, Loss: c.Loss, Classes: c.Classes,
			Seed: c.Seed, NPrime: c.NPrime, TrainAcc: r.History.FinalTrainAcc(), Epochs: len(r.History.Epochs), Gamma: map[string]float64{},
			Precision: c.Precision, Backend: r.Backend, TrainSecs: math.Round(r.TrainSecs)}
		for _, snap := range r.Snapshots {
			for _, sl := range snap.Layers {
				for _, t := range sl.Timings {
					cell.AnalysisSecs += t
				}
			}
		}
		cell.AnalysisSecs = math.Round(cell.AnalysisSecs)
		for k, f := range l.Fits {
			if !math.IsNaN(f.Slope) {
				cell.Gamma[k] = math.Round(f.Slope*1e6) / 1e6
			}
		}
		cells = append(cells, cell)
	}
	return cells
}

// AddCachedCells adds every cached Table 1 cell of o's preset to s (AddCells) and records the
// addition in s.Added. o must be s's preset.
func (s *Summary) AddCachedCells(o claims.Options) (added, replaced int, err error) {
	if s.Preset != o.PresetName() {
		return 0, 0, fmt.Errorf("report: the summary holds the %s preset, the cells asked for are the %s preset's", s.Preset, o.PresetName())
	}
	added, replaced = s.AddCells(CachedCells(o))
	if added+replaced > 0 {
		cmd := "`go run ./cmd/noisecurv report --add-cells`"
		if o.Paper {
			cmd = "`go run -tags openblas ./cmd/noisecurv report --paper --add-cells`"
		}
		s.Added = append(s.Added, fmt.Sprintf("%s at commit %s, %s", cmd, shortCommit(commit()), time.Now().UTC().Format(time.RFC3339)))
	}
	return added, replaced, nil
}

// AddCells puts cells into s, replacing a cell of the same name and appending the others, so
// that cells computed in separate sessions or on separate machines (each with its own
// cache) accumulate in one committed summary. It returns how many were added and replaced.
func (s *Summary) AddCells(cells []CellSummary) (added, replaced int) {
	at := map[string]int{}
	for i, c := range s.Cells {
		at[c.Name] = i
	}
	for _, c := range cells {
		if i, ok := at[c.Name]; ok {
			s.Cells[i] = c
			replaced++
			continue
		}
		at[c.Name] = len(s.Cells)
		s.Cells = append(s.Cells, c)
		added++
	}
	return added, replaced
}

// reproduceCommand is the command line that regenerates the outcomes under o.
func reproduceCommand(o claims.Options) string {
	cmd := "go run ./cmd/noisecurv reproduce"
	if o.Paper {
		cmd = "go run -tags openblas ./cmd/noisecurv reproduce --paper"
	}
	if len(o.Models) > 0 {
		cmd += " --models " + strings.Join(o.Models, ",")
	}
	if n := len(o.Seeds); n > 1 {
		cmd += fmt.Sprintf(" --seeds %d", n)
	}
	return cmd
}

// WriteSummary writes s as indented JSON, atomically.
func WriteSummary(path string, s Summary) error {
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// ReadSummary reads a summary written by WriteSummary.
func ReadSummary(path string) (Summary, error) {
	var s Summary
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("report: summary %s: %w", path, err)
	}
	return s, nil
}

// VerdictTable renders the claims as a Markdown table: one row per claim with its verdict,
// then one row per criterion (measured value, threshold, control, margin, outcome).
func (s Summary) VerdictTable() string {
	var b strings.Builder
	b.WriteString("| claim | criterion | kind | measured [band] | threshold | control | margin | outcome |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range s.Claims {
		head := fmt.Sprintf("**%s** %s (%s)", c.ID, mdCell(c.Title), c.Notebook)
		if c.Error != "" {
			fmt.Fprintf(&b, "| %s | error: %s | | | | | | **error** |\n", head, mdCell(c.Error))
			continue
		}
		fmt.Fprintf(&b, "| %s | | | | | | | **%s** |\n", head, c.Verdict)
		for _, k := range c.Criteria {
			fmt.Fprintf(&b, "| | %s | %s | %s | %s | %s | %s | %s |\n", mdCell(k.Name), k.Kind, mdCell(k.Measured), mdCell(k.Threshold), mdCell(k.Control), k.Margin, mdCell(k.Outcome))
		}
	}
	return b.String()
}

// Table1 renders the Table 1 cells as a Markdown table: per cell, γ_emp (C, v1), γ_AWD
// (E h², v1), γ of Covar (v1) and γ_emp (C, v2) as mean ± sd over the seeds present, the
// seeds, the mean training accuracy and N'.
func (s Summary) Table1() string {
	type key struct {
		dataset, model, loss string
		classes              int
	}
	groups := map[key][]CellSummary{}
	var order []key
	for _, c := range s.Cells {
		k := key{c.Dataset, c.Model, c.Loss, c.Classes}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], c)
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.dataset != b.dataset {
			return a.dataset < b.dataset
		}
		if a.model != b.model {
			return a.model > b.model // mlp before cnn
		}
		if a.loss != b.loss {
			return a.loss < b.loss
		}
		return a.classes < b.classes
	})
	var b strings.Builder
	b.WriteString("| cell | γ_emp (C, v1) | γ_AWD (E h², v1) | γ (Covar, v1) | γ_emp (C, v2) | seeds | train accuracy | N' | wall time per seed |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, k := range order {
		cs := groups[k]
		stat := func(key string) string {
			var v []float64
			for _, c := range cs {
				if g, ok := c.Gamma[key]; ok {
					v = append(v, g)
				}
			}
			return fit.Aggregate(v).Format(3, "n/a")
		}
		var seeds []string
		var acc, wall []float64
		for _, c := range cs {
			seeds = append(seeds, fmt.Sprint(c.Seed))
			acc = append(acc, c.TrainAcc)
			if w := c.WallSecs(); w > 0 {
				wall = append(wall, w)
			}
		}
		fmt.Fprintf(&b, "| %s, C'=%d | %s | %s | %s | %s | %s | %.3f | %d | %s |\n", experiment.RowLabel(k.dataset, k.model, k.loss), k.classes,
			stat(experiment.MatC.V1().String()), stat(experiment.MatEh2.V1().String()), stat(experiment.MatCovar.V1().String()), stat(experiment.MatC.V2().String()), strings.Join(seeds, ","), fit.Aggregate(acc).Mean, cs[0].NPrime, fmtWall(wall, cs))
	}
	fmt.Fprintf(&b, "\nFrom `%s`, commit %s, %s", s.Command, shortCommit(s.Commit), s.Generated)
	for _, a := range s.Added {
		fmt.Fprintf(&b, "; cells added by %s", a)
	}
	b.WriteString(".\n")
	return b.String()
}

// fmtWall is the mean wall time of the seeds that recorded one, with how they ran
// ("1h07m (float32, openblas)"); "n/a" when none did.
func fmtWall(wall []float64, cs []CellSummary) string {
	if len(wall) == 0 {
		return "n/a"
	}
	d := time.Duration(fit.Aggregate(wall).Mean) * time.Second
	var how []string
	for _, c := range cs {
		if c.WallSecs() > 0 {
			how = []string{c.Precision, c.Backend}
			break
		}
	}
	t := fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	if d >= time.Hour {
		t = fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	if len(wall) < len(cs) {
		t += fmt.Sprintf(" (%d of %d seeds)", len(wall), len(cs))
	}
	return fmt.Sprintf("%s, %s", t, strings.Join(how, " "))
}

// shortCommit abbreviates a revision to 12 hex digits, keeping a "+dirty" mark.
func shortCommit(c string) string {
	rev, mark, _ := strings.Cut(c, "+")
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if mark != "" {
		rev += "+" + mark
	}
	return rev
}

// Markers delimit generated sections in the README: the text between
// "<!-- BEGIN generated: NAME -->" and "<!-- END generated: NAME -->" is replaced.
func markers(name string) (string, string) {
	return "<!-- BEGIN generated: " + name + " -->\n", "<!-- END generated: " + name + " -->"
}

// UpdateReadme replaces each named generated section of readme with its new text; a
// section named in sections but missing from readme is an error.
func UpdateReadme(readme []byte, sections map[string]string) ([]byte, error) {
	names := make([]string, 0, len(sections))
	for n := range sections {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		begin, end := markers(n)
		i := bytes.Index(readme, []byte(begin))
		j := bytes.Index(readme, []byte(end))
		if i < 0 || j < i {
			return nil, fmt.Errorf("report: README has no generated section %q (want the lines %q and %q)", n, strings.TrimSpace(begin), end)
		}
		var out bytes.Buffer
		out.Write(readme[:i+len(begin)])
		out.WriteString(sections[n])
		out.Write(readme[j:])
		readme = out.Bytes()
	}
	return readme, nil
}

// ReadmeSections are the README's generated sections from the committed summaries: the
// verdict tables of each preset and Table 1 from the paper preset.
func ReadmeSections(paper, fast Summary) map[string]string {
	return map[string]string{
		"verdicts-paper": paper.VerdictTable(),
		"table1-paper":   paper.Table1(),
		"verdicts-fast":  fast.VerdictTable(),
	}
}
