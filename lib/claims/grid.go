package claims

import (
	"context"
	"fmt"
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

// GridDefault is the subset GridTable computes when it is not cached: the MNIST MLP with
// cross-entropy and softmax+MSE for C' = 3 and 10, and the Fashion-MNIST MLP with
// cross-entropy for C' = 10 (an extension: the paper has no Fashion-MNIST runs; the row is
// skipped with a note when the dataset is not installed).
var GridDefault = []experiment.GridSpec{
	{Dataset: "mnist", Model: "mlp", Loss: "ce", Classes: 3},
	{Dataset: "mnist", Model: "mlp", Loss: "ce", Classes: 10},
	{Dataset: "mnist", Model: "mlp", Loss: "mse", Classes: 3},
	{Dataset: "mnist", Model: "mlp", Loss: "mse", Classes: 10},
	{Dataset: "fashion-mnist", Model: "mlp", Loss: "ce", Classes: 10},
}

// gridSeeds are the seeds C7 shows: the paper's four and those of o. Cells are computed only
// for o's seeds; the others are read from the cache when a grid run has put them there, so
// a report after `noisecurv grid` averages every seed it finds.
func gridSeeds(o Options) []uint64 {
	seeds := slices.Clone(o.seeds())
	for _, s := range experiment.PaperSeeds() {
		if !slices.Contains(seeds, s) {
			seeds = append(seeds, s)
		}
	}
	slices.Sort(seeds)
	return seeds
}

// GridData returns every cell of the grid (Table 1 plus the Fashion-MNIST extension row) for
// the preset and seeds of o: the cells in compute are run (or loaded) for o's seeds, all
// others are only read from the cache. A Fashion-MNIST cell whose dataset cannot be loaded is
// skipped with a note instead of failing the whole table.
func GridData(ctx context.Context, o Options, compute []experiment.GridSpec) ([]*experiment.GridCell, error) {
	cells := experiment.Table1(gridSeeds(o), !o.Paper)
	for _, s := range compute {
		if !slices.ContainsFunc(cells, func(c *experiment.GridCell) bool { return c.GridSpec == s }) {
			return nil, fmt.Errorf("claims: C7: cell %s C'=%d is not in the grid (want a Table 1 cell or the Fashion-MNIST MLP CE row)",
				experiment.RowLabel(s.Dataset, s.Model, s.Loss), s.Classes)
		}
	}
	for _, cell := range cells {
		cell.Load(o.Run)
		pending := cell.Pending(o.seeds())
		if len(pending) == 0 || !slices.Contains(compute, cell.GridSpec) || !o.runsModel(cell.Model) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if cell.Dataset != "mnist" {
			// Check the data first: a missing optional dataset skips the cell.
			if _, err := experiment.Data(pending[0], o.Run); err != nil {
				cell.Note = fmt.Sprintf("skipped: dataset %s is not available (%s); install Debian's dataset-%s or run `go run ./cmd/noisecurv data fetch %s`",
					cell.Dataset, NoteMissingData("C7", cell.Dataset, err), cell.Dataset, cell.Dataset)
				continue
			}
		}
		if err := cell.Compute(ctx, o.seeds(), o.Run); err != nil {
			return nil, fmt.Errorf("claims: C7: %w", err)
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

// GridTable checks claim C7 (Table 1): it computes the cells of GridDefault (cached after the
// first run), reads every other cell of the paper's grid (and the Fashion-MNIST extension row)
// from the cache, tabulates γ_emp and γ_AWD (mean ± std over seeds) for every cell with the
// command that computes the missing ones, and draws γ_AWD vs γ_emp and γ vs class count.
func GridTable(ctx context.Context, o Options) (*Report, error) {
	return GridTableOf(ctx, o, GridDefault)
}

// GridTableOf is GridTable with a chosen set of cells to compute.
func GridTableOf(ctx context.Context, o Options, compute []experiment.GridSpec) (*Report, error) {
	rep := newReport(o, "C7", "The grid: the power law across datasets, architectures, losses and class counts", "07_grid.ipynb", c7Statement)
	cells, err := GridData(ctx, o, compute)
	if err != nil {
		return nil, err
	}
	var computed []*experiment.GridCell
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
		row.Measured = fmt.Sprintf("γ_emp %s; γ_AWD %s; Covar %s (%d/%d seeds)", sr.Emp, c.GammaAWD.Format(3, "–"), c.GammaCovar.Format(3, "–"), c.Available(), len(c.Seeds))
		_, l, _ := c.First()
		note := fmt.Sprintf("v2: γ_emp %s, γ_AWD %s; train acc %s", c.GammaEmpV2.Format(3, "–"), c.GammaAWDV2.Format(3, "–"), c.TrainAcc.Format(3, "–"))
		if l != nil {
			note += fmt.Sprintf("; D %d, N' %d", l.D, c.Configs[0].NPrime)
		}
		if cmd := c.Command(o.Paper); cmd != "" {
			note += "; other seeds: " + cmd
		}
		if !sr.Trained {
			note = fmt.Sprintf("UNDER-TRAINED: train acc %.3f below the paper's target %.2f, not evaluated; ", sr.Acc, experiment.AccTarget(c.Loss)) + note
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
		var figs viz.Figures
		figs.Add(GridScatter(computed))
		figs.Add(GridByClasses(computed))
		if rep.Figures, err = figs.Result(); err != nil {
			return nil, fmt.Errorf("claims: C7 figure: %w", err)
		}
	}
	return rep, nil
}

// gridGroups groups cells by row label in first-seen order.
func gridGroups(cells []*experiment.GridCell) (labels []string, groups map[string][]*experiment.GridCell) {
	groups = map[string][]*experiment.GridCell{}
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
func GridScatter(cells []*experiment.GridCell) (*viz.Figure, error) {
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
func GridByClasses(cells []*experiment.GridCell) (*viz.Figure, error) {
	labels, groups := gridGroups(cells)
	var series []viz.XYSeries
	for _, k := range labels {
		for _, q := range []struct {
			name string
			get  func(*experiment.GridCell) fit.Summary
		}{{"γ_emp", func(c *experiment.GridCell) fit.Summary { return c.GammaEmp }}, {"γ_AWD", func(c *experiment.GridCell) fit.Summary { return c.GammaAWD }}} {
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
