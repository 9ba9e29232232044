package claims

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// c7Statement is the claim C7 in one paragraph.
const c7Statement = "Claim C7 (Table 1): the power law C_ii ∝ H_ii^γ between the diagonals of the SGD noise covariance C = (1/B)(E_p[g_p g_pᵀ] − g gᵀ) " +
	"and of the Hessian H in H's eigenbasis holds across datasets (MNIST, CIFAR-10), architectures (MLP, CNN), losses (cross-entropy: γ > 1; " +
	"softmax+MSE: γ ≈ 1) and class counts C' ∈ {3, 6, 10}, and the AWD exponent γ_AWD of [E_p h_p²]_ii ∝ H_ii^γ_AWD tracks γ_emp. " +
	"γ is the OLS slope of log10 C_ii on log10 H_ii over the top-N' directions (rule v1, N' from Table 1, scaled by D on the fast preset). " +
	"Here a small subset is computed and every other cell is read from the cache."

// Claim C7 (Table 1): the superlinear power law C_ii ∝ H_ii^γ holds across datasets,
// architectures, losses and class counts, and the AWD exponent of [E_p h_p²]_ii tracks it.
//
// The full grid (8 rows × 3 class counts × 4 seeds) is far beyond a notebook on two cores, so
// GridTable computes a small subset (GridDefault) and reads every other cell from the cache,
// naming the command that computes what is missing.

// GridSpec names one cell of the grid: dataset, model, loss and class count C'.
type GridSpec struct {
	Dataset, Model, Loss string
	Classes              int
}

// GridDefault is the subset GridTable computes when it is not cached: the MNIST MLP with
// cross-entropy and softmax+MSE for C' = 3 and 10, and the Fashion-MNIST MLP with
// cross-entropy for C' = 10 (an extension: the paper has no Fashion-MNIST runs; the row is
// skipped with a note when the dataset is not installed).
var GridDefault = []GridSpec{
	{"mnist", "mlp", "ce", 3},
	{"mnist", "mlp", "ce", 10},
	{"mnist", "mlp", "mse", 3},
	{"mnist", "mlp", "mse", 10},
	{"fashion-mnist", "mlp", "ce", 10},
}

// gridExtensionRows are rows shown below the paper's grid (not in Table 1).
var gridExtensionRows = []GridSpec{{Dataset: "fashion-mnist", Model: "mlp", Loss: "ce"}}

// GridCell is one cell of the grid over the requested seeds, with whatever is cached.
type GridCell struct {
	GridSpec
	// Extension marks cells outside the paper's Table 1 (Fashion-MNIST).
	Extension bool
	Seeds     []uint64
	Configs   []experiment.Config  // one per seed
	Results   []*experiment.Result // nil where the seed is neither cached nor computed
	// Gamma summaries over the available seeds (mean ± sample std): rule v1 (top-N' window,
	// Table 1's rule) and v2, for C (Eq. 2, γ_emp) and E_p[h_p²] (γ_AWD); GammaCovar is rule
	// v1 on the minibatch estimator Covar, the covariance the authors' Table 1 is fitted on.
	GammaEmp, GammaAWD, GammaEmpV2, GammaAWDV2, GammaCovar fit.Summary
	// TrainAcc is the final training accuracy over the available seeds.
	TrainAcc fit.Summary
	// Note says why a cell that was asked for was skipped (dataset missing, ...).
	Note string
}

// Label is "MNIST MLP CE, C'=3".
func (c *GridCell) Label() string { return fmt.Sprintf("%s, C'=%d", c.RowLabel(), c.Classes) }

// RowLabel is "MNIST MLP CE" (the row of Table 1).
func (c *GridCell) RowLabel() string { return RowLabel(c.Dataset, c.Model, c.Loss) }

// RowLabel names a Table 1 row: "MNIST MLP CE" for ("mnist", "mlp", "ce").
func RowLabel(dataset, model, loss string) string {
	ds := map[string]string{"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}[dataset]
	if ds == "" {
		ds = dataset
	}
	return fmt.Sprintf("%s %s %s", ds, strings.ToUpper(model), strings.ToUpper(loss))
}

// Available is the number of seeds with a result.
func (c *GridCell) Available() int {
	n := 0
	for _, r := range c.Results {
		if r != nil {
			n++
		}
	}
	return n
}

// Missing lists the seeds without a result.
func (c *GridCell) Missing() []uint64 {
	var out []uint64
	for i, r := range c.Results {
		if r == nil {
			out = append(out, c.Seeds[i])
		}
	}
	return out
}

// Command is the CLI command that computes this cell's missing seeds (empty when complete).
// Paper rows use `noisecurv grid`, which computes the whole row (C' = 3, 6, 10) and skips
// cached cells; extension cells use `noisecurv analyze` per seed.
func (c *GridCell) Command(paper bool) string {
	return gridCommand(c.GridSpec, c.Extension, c.Missing(), paper)
}

func gridCommand(s GridSpec, extension bool, missing []uint64, paper bool) string {
	if len(missing) == 0 {
		return ""
	}
	flag := ""
	if paper {
		flag = " --paper"
	}
	if !extension {
		seeds := make([]string, len(missing))
		for i, m := range missing {
			seeds[i] = fmt.Sprint(m)
		}
		return fmt.Sprintf("go run ./cmd/noisecurv grid --seeds %s --datasets %s --models %s --losses %s%s",
			strings.Join(seeds, ","), s.Dataset, s.Model, s.Loss, flag)
	}
	var cmds []string
	for _, m := range missing {
		cmds = append(cmds, fmt.Sprintf("go run ./cmd/noisecurv analyze --dataset %s --model %s --loss %s --classes %d --seed %d%s",
			s.Dataset, s.Model, s.Loss, s.Classes, m, flag))
	}
	return strings.Join(cmds, "; ")
}

// summarize fills the gamma and accuracy summaries from the available results.
func (c *GridCell) summarize() {
	var emp, awd, emp2, awd2, cov, acc []float64
	for _, r := range c.Results {
		if r == nil {
			continue
		}
		l, err := r.Final("")
		if err != nil {
			continue
		}
		emp = append(emp, l.Gamma(experiment.MatC.V1()))
		awd = append(awd, l.Gamma(experiment.MatEh2.V1()))
		emp2 = append(emp2, l.Gamma(experiment.MatC.V2()))
		awd2 = append(awd2, l.Gamma(experiment.MatEh2.V2()))
		cov = append(cov, l.Gamma(experiment.MatCovar.V1()))
		acc = append(acc, FinalAcc(r.History))
	}
	c.GammaEmp, c.GammaAWD = fit.Aggregate(emp), fit.Aggregate(awd)
	c.GammaEmpV2, c.GammaAWDV2 = fit.Aggregate(emp2), fit.Aggregate(awd2)
	c.GammaCovar = fit.Aggregate(cov)
	c.TrainAcc = fit.Aggregate(acc)
}

// gridPaperSeeds are the seeds Table 1 averages over.
var gridPaperSeeds = []uint64{0, 1, 2, 3}

// PaperSeeds returns the seeds Table 1 averages over.
func PaperSeeds() []uint64 { return slices.Clone(gridPaperSeeds) }

// gridSeeds are the seeds C7 shows: the paper's four and those of o. Cells are computed only
// for o's seeds; the others are read from the cache when a grid run has put them there, so
// a report after `noisecurv grid` averages every seed it finds.
func gridSeeds(o Options) []uint64 {
	seeds := slices.Clone(o.seeds())
	for _, s := range gridPaperSeeds {
		if !slices.Contains(seeds, s) {
			seeds = append(seeds, s)
		}
	}
	slices.Sort(seeds)
	return seeds
}

// gridLayout lists every cell to show, in Table 1's order, then the extension rows, with
// the configs of the preset for each seed.
func gridLayout(o Options) ([]*GridCell, error) {
	seeds := gridSeeds(o)
	var cells []*GridCell
	byKey := map[GridSpec]*GridCell{}
	for _, c := range experiment.Grid(seeds, !o.Paper, nil, nil, nil) {
		s := GridSpec{c.Dataset, c.Model, c.Loss, c.Classes}
		cell, ok := byKey[s]
		if !ok {
			cell = &GridCell{GridSpec: s}
			byKey[s] = cell
			cells = append(cells, cell)
		}
		cell.Seeds = append(cell.Seeds, c.Seed)
		cell.Configs = append(cell.Configs, c)
	}
	for _, row := range gridExtensionRows {
		for _, k := range []int{3, 6, 10} {
			cell := &GridCell{GridSpec: GridSpec{row.Dataset, row.Model, row.Loss, k}, Extension: true}
			for _, s := range seeds {
				c, err := o.Preset(row.Dataset, row.Model, row.Loss, k, s)
				if err != nil {
					return nil, err
				}
				cell.Seeds = append(cell.Seeds, s)
				cell.Configs = append(cell.Configs, c)
			}
			cells = append(cells, cell)
		}
	}
	for _, c := range cells {
		c.Results = make([]*experiment.Result, len(c.Configs))
	}
	return cells, nil
}

// GridData returns every cell of the grid (Table 1 plus the Fashion-MNIST extension row) for
// the preset and seeds of o: the cells in compute are run (or loaded), all others are only
// read from the cache. A Fashion-MNIST cell whose dataset cannot be loaded is skipped with a
// note instead of failing the whole table.
func GridData(ctx context.Context, o Options, compute []GridSpec) ([]*GridCell, error) {
	cells, err := gridLayout(o)
	if err != nil {
		return nil, err
	}
	want := map[GridSpec]bool{}
	for _, s := range compute {
		want[s] = true
	}
	found := map[GridSpec]bool{}
	for _, cell := range cells {
		found[cell.GridSpec] = true
		for i, c := range cell.Configs {
			if r, ok := experiment.Cached(c, o.Run); ok {
				cell.Results[i] = r
				continue
			}
			if !want[cell.GridSpec] || !slices.Contains(o.seeds(), c.Seed) || !o.runsModel(c.Model) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if c.Dataset != "mnist" {
				// Check the data first: a missing optional dataset skips the cell.
				if _, err := experiment.Data(c, o.Run); err != nil {
					cell.Note = fmt.Sprintf("skipped: dataset %s is not available (%s); install Debian's dataset-%s or run `go run ./cmd/noisecurv data fetch %s`",
						c.Dataset, NoteMissingData("C7", c.Dataset, err), c.Dataset, c.Dataset)
					break
				}
			}
			r, err := experiment.Run(ctx, c, o.Run)
			if err != nil {
				return nil, fmt.Errorf("claims: C7 %s seed %d: %w", cell.Label(), c.Seed, err)
			}
			cell.Results[i] = r
		}
		cell.summarize()
	}
	for _, s := range compute {
		if !found[s] {
			return nil, fmt.Errorf("claims: C7: cell %s C'=%d is not in the grid (want a Table 1 cell or the Fashion-MNIST MLP CE row)",
				RowLabel(s.Dataset, s.Model, s.Loss), s.Classes)
		}
	}
	return cells, nil
}

// gridPaperExpectation is what the paper says about a cell.
func gridPaperExpectation(loss string) string {
	if loss == "ce" {
		return "γ_emp > 1 (≲ 1.4); γ_AWD ≈ γ_emp"
	}
	return "γ_emp ≈ 1; γ_AWD ≈ γ_emp"
}

// FmtSummary formats a summary over seeds as "1.234 ± 0.012" ("1.234" for one seed, "–"
// for none).
func FmtSummary(s fit.Summary) string {
	switch {
	case s.N == 0:
		return "–"
	case s.N == 1 || math.IsNaN(s.Std):
		return fmt.Sprintf("%.3f", s.Mean)
	default:
		return fmt.Sprintf("%.3f ± %.3f", s.Mean, s.Std)
	}
}

// GridTable checks claim C7 (Table 1): it computes the cells of GridDefault (cached after the
// first run), reads every other cell of the paper's grid (and the Fashion-MNIST extension row)
// from the cache, tabulates γ_emp and γ_AWD (mean ± std over seeds) for every cell with the
// command that computes the missing ones, and draws γ_AWD vs γ_emp and γ vs class count.
func GridTable(ctx context.Context, o Options) (*Report, error) {
	return GridTableOf(ctx, o, GridDefault)
}

// GridTableOf is GridTable with a chosen set of cells to compute.
func GridTableOf(ctx context.Context, o Options, compute []GridSpec) (*Report, error) {
	rep := newReport(o, "C7", "The grid: the power law across datasets, architectures, losses and class counts", "07_grid.ipynb", c7Statement)
	cells, err := GridData(ctx, o, compute)
	if err != nil {
		return nil, err
	}
	var computed []*GridCell
	var paper, ext []Series
	var missing []string
	for _, c := range cells {
		label := c.Label()
		if c.Extension {
			label += " (extension)"
		}
		row := Row{Quantity: label, Paper: gridPaperExpectation(c.Loss)}
		if c.Extension {
			row.Paper = "not in the paper; " + row.Paper
		}
		if c.Available() == 0 {
			row.Measured = "not computed"
			row.Note = c.Note
			if row.Note == "" {
				row.Note = "compute: " + c.Command(o.Paper)
			}
			if !c.Extension {
				missing = append(missing, c.Label())
			}
			rep.Rows = append(rep.Rows, row)
			continue
		}
		sr := SeriesOf(c.Label(), c.Configs[0], c.Results, "", "v1")
		row.Measured = fmt.Sprintf("γ_emp %s; γ_AWD %s; Covar %s (%d/%d seeds)", sr.Emp, FmtSummary(c.GammaAWD), FmtSummary(c.GammaCovar), c.Available(), len(c.Seeds))
		l, _ := c.firstLayer()
		note := fmt.Sprintf("v2: γ_emp %s, γ_AWD %s; train acc %s", FmtSummary(c.GammaEmpV2), FmtSummary(c.GammaAWDV2), FmtSummary(c.TrainAcc))
		if l != nil {
			note += fmt.Sprintf("; D %d, N' %d", l.D, c.Configs[0].NPrime)
		}
		if cmd := c.Command(o.Paper); cmd != "" {
			note += "; other seeds: " + cmd
		}
		if !sr.Trained {
			note = fmt.Sprintf("UNDER-TRAINED: train acc %.3f below the paper's target %.2f, not evaluated; ", sr.Acc, AccTarget(c.Loss)) + note
		}
		computed = append(computed, c)
		if c.Extension {
			ext = append(ext, sr)
		} else {
			paper = append(paper, sr)
		}
		row.Note = note
		rep.Rows = append(rep.Rows, row)
	}
	rep.Criteria = SeriesCriteria(paper)
	// Extension cells are shown with the same statistics but never count for the paper.
	for _, c := range SeriesCriteria(ext) {
		c.Kind, c.Name = Reported, "extension, not counted: "+c.Name
		rep.Criteria = append(rep.Criteria, c)
	}
	rep.Criteria = append(rep.Criteria, Criterion{
		Name: "Table 1 is covered", Statistic: "paper cells without a result", Kind: Bound, Sense: Below,
		Measured: Point(float64(len(missing))), Threshold: 1, ThresholdWhy: "every cell of Table 1",
	})
	var notes []string
	if len(missing) > 0 {
		flag := ""
		if o.Paper {
			flag = " --paper"
		}
		notes = append(notes, fmt.Sprintf("Missing Table 1 cells (%d): %s. Compute them with `go run ./cmd/noisecurv grid%s` (resumable; --shard i/n splits it; CIFAR-10 needs `noisecurv data fetch cifar10`).",
			len(missing), strings.Join(missing, "; "), flag))
	}
	rep.decide(notes...)
	if len(computed) > 0 {
		sc, err := GridScatter(computed)
		if err != nil {
			return nil, fmt.Errorf("claims: C7 figure: %w", err)
		}
		by, err := GridByClasses(computed)
		if err != nil {
			return nil, fmt.Errorf("claims: C7 figure: %w", err)
		}
		rep.Figures = append(rep.Figures, sc, by)
	}
	return rep, nil
}

func (c *GridCell) firstLayer() (*experiment.Layer, error) {
	for _, r := range c.Results {
		if r != nil {
			return r.Final("")
		}
	}
	return nil, errors.New("claims: no result")
}

// gridGroups groups cells by row label in first-seen order.
func gridGroups(cells []*GridCell) (labels []string, groups map[string][]*GridCell) {
	groups = map[string][]*GridCell{}
	for _, c := range cells {
		k := c.RowLabel()
		if _, ok := groups[k]; !ok {
			labels = append(labels, k)
		}
		groups[k] = append(groups[k], c)
	}
	for _, k := range labels {
		g := groups[k]
		sort.SliceStable(g, func(i, j int) bool { return g[i].Classes < g[j].Classes })
	}
	return labels, groups
}

// GridScatter draws γ_AWD against γ_emp, one point per cell with a result (means over seeds,
// labelled by C', with a * when the cell is below the paper's training-accuracy target), one
// series per row of the grid, and the line y = x.
func GridScatter(cells []*GridCell) (*viz.Figure, error) {
	labels, groups := gridGroups(cells)
	var gs []viz.PointGroup
	for _, k := range labels {
		g := viz.PointGroup{Name: k}
		for _, c := range groups[k] {
			name := fmt.Sprintf("C'=%d", c.Classes)
			if c.TrainAcc.N > 0 && !c.Trained() {
				name += "*" // below the paper's training-accuracy target
			}
			g.Points = append(g.Points, viz.LabelledPoint{Label: name, X: c.GammaEmp.Mean, Y: c.GammaAWD.Mean})
		}
		gs = append(gs, g)
	}
	f, err := viz.LabelledScatter(viz.LabelledScatterSpec{Title: "C7: γ_AWD vs γ_emp per grid cell (mean over seeds; * = below the training-accuracy target)",
		XName: "γ_emp (C vs H, rule v1)", YName: "γ_AWD (E_p[h_p²] vs H, rule v1)", Groups: gs})
	if err != nil {
		return nil, fmt.Errorf("claims: GridScatter: %w", err)
	}
	return f, nil
}

// GridByClasses draws γ_emp and γ_AWD (means over seeds) against the class count C', one pair
// of series per row of the grid, with the reference γ = 1.
func GridByClasses(cells []*GridCell) (*viz.Figure, error) {
	labels, groups := gridGroups(cells)
	var series []viz.XYSeries
	for _, k := range labels {
		for _, q := range []struct {
			name string
			get  func(*GridCell) fit.Summary
		}{{"γ_emp", func(c *GridCell) fit.Summary { return c.GammaEmp }}, {"γ_AWD", func(c *GridCell) fit.Summary { return c.GammaAWD }}} {
			var x, y []float64
			for _, c := range groups[k] {
				if s := q.get(c); s.N > 0 && fit.IsFinite(s.Mean) {
					x = append(x, float64(c.Classes))
					y = append(y, s.Mean)
				}
			}
			if len(x) > 0 {
				series = append(series, viz.XYSeries{Name: k + " " + q.name, X: x, Y: y})
			}
		}
	}
	if len(series) == 0 {
		return nil, fmt.Errorf("claims: GridByClasses: no cell with a finite γ")
	}
	return viz.Lines(viz.LineSpec{Title: "C7: γ vs number of classes C' (rule v1, mean over seeds)", XName: "classes C'", YName: "γ",
		Series: series, Refs: []viz.RefLine{{Y: 1, Label: "γ = 1"}}, Symbols: true})
}

// Trained reports whether the cell's mean final training accuracy reaches the paper's target
// for its loss (AccTarget); only such cells are evidence.
func (c *GridCell) Trained() bool {
	return c.TrainAcc.N > 0 && c.TrainAcc.Mean >= AccTarget(c.Loss)
}
