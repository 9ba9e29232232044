package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/noisecurv/noisecurv/lib/viz"
)

func needChromium(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs headless Chromium; skipped with -short")
	}
	if _, err := viz.FindChromium(); err != nil {
		// CI must not pass by skipping: there a missing Chromium is a failure.
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skipf("SKIPPED, no chart is drawn: %v (scripts/test-deps.sh says how to install it)", err)
	}
}

// chart is a handcrafted chart div whose script sets the given status, like lib/viz's.
func chart(id, title, status, msg string) string {
	s := `<div id="` + id + `" class="noisecurv-chart" data-chart-status="pending" data-chart-title="` + title + `"></div>`
	if status != "" {
		s += `<script>(function(){var el=document.getElementById("` + id + `");el.setAttribute("data-chart-status","` + status + `");`
		if msg != "" {
			s += `el.setAttribute("data-chart-error","` + msg + `");`
		}
		s += `})();</script>`
	}
	return s
}

// cell wraps content like nbconvert's lab template: an input prompt, then the outputs.
func cell(n int, content string) string {
	return `<div class="jp-Cell jp-CodeCell"><div class="jp-InputPrompt">In&nbsp;[` + strconv.Itoa(n) + `]:</div><div class="jp-OutputArea">` + content + `</div></div>`
}

func writePage(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name+".html")
	if err := os.WriteFile(p, []byte("<!DOCTYPE html><html><body>"+body+"</body></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCheck(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"-budget", "3000"}, args...), &out, &errb)
	return code, out.String() + errb.String()
}

func TestCheckerPassesGoodPage(t *testing.T) {
	needChromium(t)
	dir := t.TempDir()
	p := writePage(t, dir, "good", cell(1, chart("c1", "first", "ok", ""))+cell(2, chart("c2", "second", "ok", "")))
	code, out := runCheck(t, p)
	if code != 0 || !strings.Contains(out, "ok   good: 2/2 charts drew") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

func TestCheckerFailsOnErrorChart(t *testing.T) {
	needChromium(t)
	dir := t.TempDir()
	p := writePage(t, dir, "bad", cell(1, chart("c1", "fine", "ok", ""))+
		cell(3, chart("c2", "broken chart", "error", "Cannot read properties of undefined"))+
		cell(4, chart("c3", "never ran", "", "")))
	code, out := runCheck(t, p)
	if code != 1 {
		t.Errorf("exit %d, want 1; output:\n%s", code, out)
	}
	for _, want := range []string{
		"FAIL bad: 1/3 charts drew",
		`bad: cell In [3]: chart c2 "broken chart" failed: Cannot read properties of undefined`,
		`bad: cell In [4]: chart c3 "never ran" never drew`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// An executed notebook whose cell failed (build error, or a panic that GoNB only prints
// as "exit status 2") must fail the check, naming the cell, even when every chart drew;
// and a chart present in the notebook but missing from the page must be reported.
func TestCheckerFailsOnFailingCell(t *testing.T) {
	needChromium(t)
	dir := t.TempDir()
	writePage(t, dir, "nb", cell(1, chart("c1", "fine", "ok", "")))
	nb := `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
 {"cell_type": "markdown", "metadata": {}, "source": ["# title"]},
 {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": ["%%\n", "viz.Show(fig)"],
  "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"text/html": ["<div id=\"c1\" class=\"noisecurv-chart\" data-chart-status=\"pending\"></div>"]}}]},
 {"cell_type": "code", "execution_count": 2, "metadata": {}, "source": "%%\npanic(\"deliberate\")",
  "outputs": [{"output_type": "stream", "name": "stderr", "text": ["panic: deliberate\n\ngoroutine 1 [running]:\nmain.main()\nexit status 2\n"]}]},
 {"cell_type": "code", "execution_count": 3, "metadata": {}, "source": "var x int = \"s\"",
  "outputs": [{"output_type": "error", "ename": "ERROR", "evalue": "# gonb_1\n./main.go:3:13: cannot use \"s\" as int value", "traceback": []}]},
 {"cell_type": "code", "execution_count": 4, "metadata": {}, "source": "%%\nviz.Show(lost)",
  "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"text/html": "<div id=\"c9\" class=\"noisecurv-chart\" data-chart-status=\"pending\"></div>"}}]}
]}`
	if err := os.WriteFile(filepath.Join(dir, "nb.ipynb"), []byte(nb), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCheck(t, filepath.Join(dir, "nb.html"))
	if code != 1 {
		t.Errorf("exit %d, want 1; output:\n%s", code, out)
	}
	for _, want := range []string{
		`nb: cell 3 (In [2]) "panic(\"deliberate\")" failed at run time (exit status 2, panic: deliberate)`,
		`nb: cell 4 (In [3]) "var x int = \"s\"" raised ERROR: ./main.go:3:13: cannot use "s" as int value`,
		`nb: cell 5 (In [4]) "viz.Show(lost)": chart c9 is in the notebook but not in the rendered HTML`,
		"2 charts in the notebook outputs but 1 in the rendered HTML",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Without the notebook the page alone passes: the cell checks need the .ipynb.
	if code, out := runCheck(t, "-ipynb=false", filepath.Join(dir, "nb.html")); code != 0 {
		t.Errorf("-ipynb=false: exit %d\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	if code, _ := runCheck(t); code != 2 {
		t.Errorf("no args: exit %d, want 2", code)
	}
	if code, out := runCheck(t, filepath.Join(t.TempDir(), "missing.html")); code != 2 || !strings.Contains(out, "missing.html") {
		t.Errorf("missing file: exit %d, output %s", code, out)
	}
}

func TestExternalScripts(t *testing.T) {
	page := `<script src="file:///usr/share/javascript/mathjax/MathJax.js?config=TeX"></script>
<script src="mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"></script>
<script type="text/javascript" src="https://cdn.example/require.js"></script><script>var x;</script>`
	got := externalScripts(page)
	if len(got) != 2 || !strings.Contains(got[0], "file:///usr/share") || !strings.Contains(got[1], "https://cdn.example") {
		t.Errorf("externalScripts = %q, want the file:// and the https script, not the relative one", got)
	}
}

func TestCheckerFailsOnUnreadableLogAxis(t *testing.T) {
	needChromium(t)
	dir := t.TempDir()
	wide := strings.Replace(chart("c2", "C vs H", "ok", ""), `el.setAttribute("data-chart-status","ok");`,
		`el.setAttribute("data-chart-status","ok");el.setAttribute("`+viz.LogDecadesAttr+`","31.0");`, 1)
	p := writePage(t, dir, "wide", cell(1, chart("c1", "fine", "ok", ""))+cell(2, wide))
	code, out := runCheck(t, p)
	if code != 1 || !strings.Contains(out, `cell In [2]: chart c2 "C vs H" has a log axis over 31 decades (at most 15)`) {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	if code, out := runCheck(t, "-max-decades", "40", p); code != 0 {
		t.Errorf("-max-decades 40: exit %d, output:\n%s", code, out)
	}
}
