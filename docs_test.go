package noisecurv_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every reference to a file under docs/ must name a file that exists (a folder, written with a
// trailing slash or without an extension, such as docs/results, is not checked: a run may create
// it), and every "trap N" of
// docs/lab.md must be a heading there. References are looked for in the kinds of files that
// cite the docs: Go sources and comments, Markdown, notebooks, shell scripts, Makefiles.

var (
	// docsRef is "docs/" followed by a path: docs/science.md, docs/lab.md#trap-2, ...
	docsRef = regexp.MustCompile(`\bdocs/[A-Za-z0-9_./-]*[A-Za-z0-9_-]`)
	// bareMD is a Markdown file named without a folder: science.md, lab.md.
	bareMD = regexp.MustCompile(`(^|[^A-Za-z0-9_./-])([A-Za-z0-9_-]+\.md)\b`)
	// trapRef is a reference to a numbered trap of docs/lab.md.
	trapRef = regexp.MustCompile(`lab\.md,? trap (\d+)`)
)

// docProblems scans the repository tree at root and returns one line per broken reference.
func docProblems(t *testing.T, root string) []string {
	t.Helper()
	var problems []string
	lab, _ := os.ReadFile(filepath.Join(root, "docs", "lab.md"))
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") && name != ".ci" || name == "results" || name == "data" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if name == "docs_test.go" { // this file's examples are broken on purpose
			return nil
		}
		ext := filepath.Ext(name)
		if ext != ".go" && ext != ".md" && ext != ".ipynb" && ext != ".sh" && name != "Makefile" && filepath.Base(filepath.Dir(path)) != ".ci" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for i, line := range strings.Split(string(b), "\n") {
			at := func(format string) string { return rel + ":" + itoa(i+1) + ": " + format }
			for _, loc := range docsRef.FindAllStringIndex(line, -1) {
				m := line[loc[0]:loc[1]]
				target := strings.SplitN(m, "#", 2)[0]
				if (loc[1] < len(line) && line[loc[1]] == '/') || filepath.Ext(target) == "" {
					continue // a folder ("docs/results/", "docs/results"), which a run may create
				}
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(target))); err != nil {
					problems = append(problems, at(m+" does not exist"))
				}
			}
			for _, m := range bareMD.FindAllStringSubmatchIndex(line, -1) {
				s, e := m[4], m[5]
				md := line[s:e]
				if s > 0 && e < len(line) && line[s-1] == '"' && line[e] == '"' {
					continue // a Go string naming a file the code writes ("results.md")
				}
				found := false
				for _, dir := range []string{filepath.Dir(path), root, filepath.Join(root, "docs")} {
					if _, err := os.Stat(filepath.Join(dir, md)); err == nil {
						found = true
						break
					}
				}
				if !found {
					problems = append(problems, at(md+" is in neither docs/, the repository root nor "+filepath.Dir(rel)+"/"))
				}
			}
			for _, m := range trapRef.FindAllStringSubmatch(line, -1) {
				if !regexp.MustCompile(`(?m)^#+ Trap ` + m[1] + `\b`).Match(lab) {
					problems = append(problems, at("docs/lab.md has no heading \"Trap "+m[1]+"\""))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return problems
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestDocsReferencesExist(t *testing.T) {
	for _, p := range docProblems(t, ".") {
		t.Error(p)
	}
}

// TestDocsCheckerFindsBrokenReferences runs the checker on a small tree with one reference of
// each kind broken, so the test above cannot pass by finding nothing.
func TestDocsCheckerFindsBrokenReferences(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		p = filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("docs/lab.md", "# Lab\n## Trap 1: one\n")
	write("docs/science.md", "see [lab](lab.md)\n")
	write("lib/x/doc.go", "// See docs/science.md and science.md (C3); docs/lab.md, trap 1.\npackage x\n")
	// The broken references are assembled, so that this file does not cite them itself.
	design, missing := "docs/"+"design.md", "docs/"+"missing.md"
	write("lib/x/bad.go", "// See "+design+", design.md and lab.md trap 3.\npackage x\nvar f = \"results.md\"\n")
	write("notebooks/n.ipynb", `{"cells": [{"source": ["see `+missing+`"]}]}`)
	write("scripts/s.sh", "# docs/lab.md#trap-1 is fine, and so are the folders docs/generated/ and docs/results\n")
	got := docProblems(t, root)
	want := []string{
		"lib/x/bad.go:1: " + design + " does not exist",
		"lib/x/bad.go:1: design.md is in neither",
		"lib/x/bad.go:1: docs/lab.md has no heading \"Trap 3\"",
		"notebooks/n.ipynb:1: " + missing + " does not exist",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
}
