// Command nbcheck verifies that the charts in executed-notebook HTML exports really draw.
//
// For each HTML file it loads the page in headless Chromium (--dump-dom with a virtual
// time budget, offline flags), finds every chart div made by lib/viz (class
// "noisecurv-chart") and reads the status marker that the chart's own script sets:
// "ok" after echarts.setOption succeeded, "error" with a message otherwise, and
// "pending" if the script never ran. When the executed notebook NAME.ipynb sits beside
// NAME.html it also reports cells with error outputs, maps each chart to its cell, and
// checks that every chart in the notebook's outputs reached the page.
//
// Usage:
//
//	nbcheck [-budget 30000] [-min-charts 0] [-ipynb=true] results/notebooks/*.html
//
// Exit status: 0 all charts ok; 1 a chart failed, a cell raised, or counts disagree
// (each problem is printed with the notebook and cell); 2 usage or environment error
// (no Chromium, unreadable file).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("nbcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.IntVar(&cfg.BudgetMS, "budget", 30000, "Chromium virtual time budget per page, in ms (must exceed the charts' 15000 ms wait for ECharts)")
	fs.IntVar(&cfg.MinCharts, "min-charts", 0, "fail a notebook that draws fewer charts than this")
	fs.Float64Var(&cfg.MaxLogDecades, "max-decades", 15, "fail a chart whose log axis spans more decades than this (unreadable; lib/viz keeps them to about 9)")
	fs.BoolVar(&cfg.UseIPYNB, "ipynb", true, "read NAME.ipynb beside NAME.html for cell errors and chart-to-cell mapping")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: nbcheck [flags] NOTEBOOK.html ...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	failed := false
	for _, path := range fs.Args() {
		res, err := checkNotebook(context.Background(), path, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "nbcheck: %s: %v\n", path, err)
			return 2
		}
		if len(res.Problems) == 0 {
			fmt.Fprintf(stdout, "ok   %s: %d/%d charts drew\n", res.Notebook, res.OK, res.Charts)
			continue
		}
		failed = true
		fmt.Fprintf(stdout, "FAIL %s: %d/%d charts drew, %d problem(s):\n", res.Notebook, res.OK, res.Charts, len(res.Problems))
		for _, p := range res.Problems {
			fmt.Fprintf(stdout, "  %s: %s\n", res.Notebook, p)
		}
	}
	if failed {
		return 1
	}
	return 0
}
