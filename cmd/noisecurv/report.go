package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/noisecurv/noisecurv/lib/atomicfile"
	"github.com/noisecurv/noisecurv/lib/claims"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/report"
)

// claimIDs lists the claim IDs that --only accepts.
func claimIDs() []string {
	var ids []string
	for _, e := range report.All() {
		ids = append(ids, e.ID)
	}
	return ids
}

func reportFlags(h help, args []string) (claims.Options, string, []string, func(), error) {
	fs := newFlagSet(h)
	paper := fs.Bool("paper", false, "the paper's settings (default: the fast preset; the paper's take hours on 2 cores)")
	out := fs.String("out", "", "report folder (default results/report)")
	only := fs.String("only", "", "comma-separated claim IDs (default all): "+strings.Join(claimIDs(), ","))
	seeds := fs.Int("seeds", 1, "number of seeds, 1 to 16 (the paper averages 4)")
	cacheDir := fs.String("cache", "", "cache folder (default results/cache)")
	dataDir := fs.String("data", "", "dataset folder searched first")
	modelsF := fs.String("models", "", "comma-separated architectures (default all: mlp,cnn); --paper --models mlp leaves out the CNN cells, hours each on a CPU")
	quiet := fs.Bool("q", false, "quiet: no progress lines")
	var budget *float64
	if h.name == "report" {
		fs.StringVar(&readmeFile, "readme", "", "instead of a report: regenerate the README's result tables in `FILE` from the committed summaries (see --summaries)")
		fs.StringVar(&summaryDir, "summaries", "docs/results", "with --readme: the folder of the committed summaries paper.json and fast.json")
		fs.StringVar(&addCellsFile, "add-cells", "", "instead of a report: add the cached Table 1 cells of the preset to the committed summary `FILE` (replacing cells of the same name), so cells computed in other sessions or on other machines accumulate; then run --readme")
	}
	if h.name == "reproduce" {
		budget = fs.Float64("budget", 0, "memory budget in `GiB` for one dense curvature computation of an experiment run (default 8)")
	}
	nop := func() {}
	if err := parse(fs, args, false); err != nil {
		return claims.Options{}, "", nil, nop, err
	}
	if set := setFlags(fs); h.name == "report" {
		if addCellsFile != "" && readmeFile != "" {
			return claims.Options{}, "", nil, nop, usagef("report: --add-cells and --readme are separate steps: add the cells, then regenerate the README")
		}
		for _, n := range []string{"out", "only", "seeds", "models"} {
			if addCellsFile != "" && set[n] {
				return claims.Options{}, "", nil, nop, usagef("report: flag --%s has no effect with --add-cells: every cached cell of the preset is added", n)
			}
		}
		if set["summaries"] && readmeFile == "" {
			return claims.Options{}, "", nil, nop, usagef("report: flag --summaries works only with --readme FILE")
		}
		for _, n := range []string{"paper", "out", "only", "seeds", "cache", "data", "models"} {
			if readmeFile != "" && set[n] {
				return claims.Options{}, "", nil, nop, usagef("report: flag --%s has no effect with --readme: the tables come from the committed summaries", n)
			}
		}
	}
	ms, err := claims.ParseModels(*modelsF)
	if err != nil {
		return claims.Options{}, "", nil, nop, flagErr("models", *modelsF, "a comma-separated list of mlp, cnn")
	}
	if *seeds < 1 || *seeds > 16 {
		return claims.Options{}, "", nil, nop, flagErr("seeds", *seeds, "a number of seeds from 1 to 16")
	}
	ids, err := list("only", *only, claimIDs()...)
	if err != nil {
		return claims.Options{}, "", nil, nop, err
	}
	if budget != nil && setFlags(fs)["budget"] {
		if err := finiteIn("budget", *budget, 0, 1<<20, false, ""); err != nil || *budget == 0 {
			return claims.Options{}, "", nil, nop, flagErr("budget", *budget, "a positive, finite number of GiB")
		}
	}
	o := claims.Options{Paper: *paper, Models: ms}
	for s := 0; s < *seeds; s++ {
		o.Seeds = append(o.Seeds, uint64(s))
	}
	var p *experiment.Printer
	o.Run, p = progress(*quiet)
	o.Run.CacheDir, o.Run.DataDir = *cacheDir, *dataDir
	if budget != nil && *budget > 0 {
		o.Run.Budget = curv.Budget(*budget * (1 << 30))
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join(experiment.RepoRoot(), "results", "report")
	}
	return o, dir, ids, func() { closeProgress(p) }, nil
}

// cmdReproduce runs every claim (computing what is not cached) and writes the report.
func cmdReproduce(ctx context.Context, args []string) error {
	o, dir, only, done, err := reportFlags(help{
		name: "reproduce", args: "[--paper] [--out DIR] [--only C3,C4-C5] [--seeds N] [--models mlp]",
		about: `Runs every claim of the paper (C1 to C8, v2's layer-wise exponents and the extensions),
training and analysing whatever the cache does not hold yet, prints each claim's table and
verdict, and writes a standalone HTML report (index.html) with CSV/JSON of every number.
The fast preset takes about 6 minutes from a cold cache on 2 cores and seconds when cached;
--paper uses the paper's settings (hours; see 'noisecurv train -h' for both presets).
Interrupted (Ctrl-C), it keeps every finished run in the cache and writes the report of the
claims that finished.`,
		examples: []string{
			"noisecurv reproduce                          # fast preset, results/report/index.html",
			"noisecurv reproduce --only C4-C5,C7 --seeds 2",
			"noisecurv reproduce --paper --models mlp --out results/paper",
		},
	}, args)
	defer done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "reproduce: %s preset, report in %s\n", o.PresetName(), dir)
	return runClaims(ctx, o, dir, only, done)
}

// cmdReport writes the report of the cached results only: it computes nothing and names
// the claims whose runs are missing.
func cmdReport(ctx context.Context, args []string) error {
	o, dir, only, done, err := reportFlags(help{
		name: "report", args: "[--paper] [--out DIR] [--only C3,C4-C5] [--seeds N]",
		about: `Writes the HTML report (index.html, claims.csv/json, runs.csv/json) from the results already in
the cache, computing no training run and no analysis: run it after 'noisecurv grid' or
'noisecurv reproduce', or while they run elsewhere on the same cache folder. A claim whose runs
are not all cached is listed as missing, with the command that computes it. Use the same
--paper, --seeds and --models as the run that filled the cache.`,
		examples: []string{
			"noisecurv report                             # fast preset, results/report/index.html",
			"noisecurv report --readme README.md          # the README's tables from docs/results/*.json",
			"noisecurv report --paper --add-cells docs/results/paper.json  # add cached cells to the evidence",
			"noisecurv report --paper --seeds 4 --out results/paper-report",
			"noisecurv report --cache /shared/noisecurv-cache --only C7",
		},
	}, args)
	defer done()
	if err != nil {
		return err
	}
	if readmeFile != "" {
		return updateReadme(readmeFile, summaryDir)
	}
	if addCellsFile != "" {
		return addCells(addCellsFile, o)
	}
	o.Run.CacheOnly = true
	return runClaims(ctx, o, dir, only, done)
}

// readmeFile, summaryDir and addCellsFile are report's --readme, --summaries and --add-cells.
var readmeFile, summaryDir, addCellsFile string

// addCells adds the cached Table 1 cells of o's preset to the committed summary at path.
func addCells(path string, o claims.Options) error {
	s, err := report.ReadSummary(path)
	if err != nil {
		return fmt.Errorf("--add-cells: %w", err)
	}
	added, replaced, err := s.AddCachedCells(o)
	if err != nil {
		return fmt.Errorf("--add-cells %s: %w (use the same --paper as the run that wrote it)", path, err)
	}
	if added+replaced == 0 {
		return fmt.Errorf("--add-cells %s: the cache holds no Table 1 cell of the %s preset (run 'noisecurv grid' first, or pass its --cache)", path, o.PresetName())
	}
	if err := report.WriteSummary(path, s); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "report: %s: cells added: %d, replaced: %d; now run 'noisecurv report --readme README.md'\n", path, added, replaced)
	return nil
}

// updateReadme regenerates the generated sections of the README at path from the committed
// summaries in dir (report.ReadmeSections).
func updateReadme(path, dir string) error {
	paper, err := report.ReadSummary(filepath.Join(dir, "paper.json"))
	if err != nil {
		return fmt.Errorf("--summaries: %w", err)
	}
	fast, err := report.ReadSummary(filepath.Join(dir, "fast.json"))
	if err != nil {
		return fmt.Errorf("--summaries: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--readme: %w", err)
	}
	out, err := report.UpdateReadme(b, report.ReadmeSections(paper, fast))
	if err != nil {
		return fmt.Errorf("--readme %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "report: regenerated the result tables of %s from %s\n", path, dir)
	return nil
}

func runClaims(ctx context.Context, o claims.Options, dir string, only []string, done func()) error {
	start := time.Now()
	outs := report.RunAll(ctx, o, only)
	done()
	failed, finished := 0, 0
	var missing []string
	for _, oc := range outs {
		switch {
		case oc.Err == nil:
			finished++
			oc.Report.Print(stdout)
		case errors.Is(oc.Err, experiment.ErrNotCached):
			missing = append(missing, oc.Entry.ID)
			fmt.Fprintf(stderr, "%s %s: missing: %v\n", oc.Entry.ID, oc.Entry.Name, oc.Err)
		case ctx.Err() != nil:
		default:
			failed++
			fmt.Fprintf(stderr, "%s %s: FAILED: %v\n", oc.Entry.ID, oc.Entry.Name, oc.Err)
		}
	}
	if err := report.WriteReport(dir, o, outs); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "report: %s (%.0fs)\n", filepath.Join(dir, "index.html"), time.Since(start).Seconds())
	if err := ctx.Err(); err != nil {
		return interrupted(ctx, err, fmt.Sprintf("%d of %d claims finished and are in the report; every finished run is cached; run the same command again to resume", finished, len(outs)))
	}
	if len(missing) > 0 {
		preset := ""
		if o.Paper {
			preset = " --paper"
		}
		fmt.Fprintf(stderr, "report: %d of %d claims have runs missing from the cache (%s); compute them with 'noisecurv reproduce%s --only %s'\n",
			len(missing), len(outs), strings.Join(missing, ", "), preset, strings.Join(missing, ","))
		if finished == 0 && failed == 0 {
			return fmt.Errorf("report: nothing is cached for these claims yet")
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d claims failed", failed, len(outs))
	}
	return nil
}
