package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noisecurv/noisecurv/lib/experiment"
)

// TestMain lets a test run the command itself as a subprocess (see TestInterruptKeepsWork):
// with NOISECURV_TEST_MAIN=1 the test binary is noisecurv.
func TestMain(m *testing.M) {
	if os.Getenv("NOISECURV_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// capture runs the command line with stdout and stderr captured.
func capture(t *testing.T, args ...string) (out, errOut string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	so, se := stdout, stderr
	stdout, stderr = &o, &e
	defer func() { stdout, stderr = so, se }()
	err = run(context.Background(), args)
	return o.String(), e.String(), err
}

// TestBadInput is one row per bad command line: each must fail before any work with an
// error naming the flag, the value and what is allowed, and the right exit status (2 for the
// command line, 1 for bad files found while working). Rows cover every CLI finding of the
// adversarial review (crashes on NaN label noise, huge batches and one-class label noise;
// silently ignored zero/negative overrides, unknown grid filters and claim IDs, 1/2/3 shards,
// extra arguments, --dense without --npz) and more.
func TestBadInput(t *testing.T) {
	tmp := t.TempDir()
	cache := filepath.Join(tmp, "cache")
	notZip := filepath.Join(tmp, "notzip.npz")
	if err := os.WriteFile(notZip, []byte("not a zip archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	weights := writeTestWeights(t, tmp)
	extra := filepath.Join(tmp, "extra.npz")
	if err := os.WriteFile(extra, addKey(t, weights, "net.0.bias", 6), 0o644); err != nil {
		t.Fatal(err)
	}
	fastSummary := filepath.Join(tmp, "fast.json")
	if err := os.WriteFile(fastSummary, []byte(`{"preset": "fast", "claims": [], "cells": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	train := func(args ...string) []string { return append([]string{"train", "--cache", cache}, args...) }
	analyze := func(args ...string) []string { return append([]string{"analyze", "--cache", cache}, args...) }
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{nil, "no command given", 2},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`, 2},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`, 2},
		{[]string{"data"}, "noisecurv data fetch NAME", 2},
		{[]string{"data", "fetch"}, "no dataset named", 2},
		{[]string{"data", "fetch", "imagenet"}, `unknown dataset "imagenet": want mnist, fashion-mnist, cifar10`, 2},
		{[]string{"data", "fetch", "--dir"}, "flag needs an argument", 2},
		{[]string{"data", "get", "mnist"}, "noisecurv data fetch NAME", 2},
		{[]string{"cache"}, "noisecurv cache merge SRC_CACHE_DIR", 2},
		{[]string{"cache", "--cache", "x"}, "noisecurv cache merge SRC_CACHE_DIR", 2},
		{train("--no-such-flag"), "flag provided but not defined: -no-such-flag", 2},
		{train("--epochs", "0"), "flag --epochs = 0: want a positive integer", 2},
		{train("--epochs", "-3"), "flag --epochs = -3: want a positive integer", 2},
		{train("--per-class", "-1"), "flag --per-class = -1: want a positive integer", 2},
		{train("--batch", "0"), "flag --batch = 0: want a positive integer", 2},
		{train("--batch", "10000000000000"), "flag --batch = 10000000000000: want at most N = 3000", 2},
		{train("--batch", "1000000000"), "flag --batch = 1000000000: want at most N = 3000", 2},
		{train("--per-class", "20", "--batch", "201"), "flag --batch = 201: want at most N = 200, the training samples (--classes 10 x --per-class 20)", 2},
		{train("--per-class", "2"), "the preset's batch size B = 50 exceeds the N = 20 training samples (--classes 10 x --per-class 2)", 2},
		{train("--batch", "99999999999999999999999"), `invalid value "99999999999999999999999" for flag -batch`, 2},
		{train("--epochs", "ten"), `invalid value "ten" for flag -epochs`, 2},
		{train("--label-noise", "NaN"), "flag --label-noise = NaN: want a fraction in [0, 1)", 2},
		{train("--label-noise", "Inf"), "flag --label-noise = +Inf: want a fraction in [0, 1)", 2},
		{train("--label-noise", "1"), "flag --label-noise = 1: want a fraction in [0, 1)", 2},
		{train("--label-noise", "-0.1"), "flag --label-noise = -0.1", 2},
		{train("--model", "deep-mlp", "--classes", "1", "--label-noise", "0.5"), "a wrong label needs at least 2 classes", 2},
		{train("--model", "deep-mlp", "--classes", "11"), "flag --classes = 11: want 1 to 10", 2},
		{train("--lr", "NaN"), "flag --lr = NaN: want a finite learning rate > 0", 2},
		{train("--lr", "Inf"), "flag --lr = +Inf", 2},
		{train("--lr", "0"), "flag --lr = 0", 2},
		{train("--lr", "-0.1"), "flag --lr = -0.1", 2},
		{train("--classes", "4"), "flag --classes = 4: want 3, 6 or 10", 2},
		{train("--classes", "0"), "flag --classes = 0", 2},
		{train("--loss", "hinge"), `flag --loss = "hinge": want ce, mse, logit-mse`, 2},
		{train("--act", "gelu"), `flag --act = "gelu": want relu, tanh`, 2},
		{train("--dataset", "imagenet"), `flag --dataset = "imagenet": want mnist, fashion-mnist, cifar10`, 2},
		{train("--model", "rnn"), `flag --model = "rnn": want mlp, cnn, deep-mlp`, 2},
		{train("--checkpoints", "x"), `flag --checkpoints = "x": want comma-separated epochs, each 1 to 30`, 2},
		{train("--checkpoints", "31"), "each 1 to 30 (--epochs)", 2},
		{train("--checkpoints", "0"), "each 1 to 30", 2},
		{train("--topk", "-1"), "flag --topk = -1: want 0 (dense) or at least the fit window N' = 409", 2},
		{train("--topk", "5"), "flag --topk = 5", 2},
		{train("--budget", "0"), "flag --budget = 0: want a positive, finite number of GiB", 2},
		{train("--budget", "NaN"), "flag --budget = NaN", 2},
		{train("--budget", "-2"), "flag --budget = -2", 2},
		{train("--precision", "half"), `flag --precision = "half": want float32, float64`, 2},
		{[]string{"grid", "-n", "--precision", "float16"}, `flag --precision = "float16": want float32, float64`, 2},
		{train("extra"), `unexpected argument "extra"`, 2},
		{train("--epochs", "2", "extra"), `unexpected argument "extra"`, 2},
		{analyze("--dense"), "flag --dense needs --npz FILE", 2},
		{analyze("--dense", "--npz", filepath.Join(tmp, "d.npz"), "--topk", "500"), "flag --dense works with cell flags and a dense analysis only", 2},
		{analyze("--npz", filepath.Join(tmp, "no", "such", "folder", "x.npz")), `flag --npz = "` + filepath.Join(tmp, "no", "such", "folder", "x.npz"), 2},
		{analyze("--npz", tmp), "is a folder", 2},
		{analyze("a", "b"), `unexpected argument "b"`, 2},
		{analyze("--run", tmp, "--epochs", "3"), "flag --epochs has no effect with --run DIR", 2},
		{analyze("--run", tmp), "config.json", 1},
		{analyze("--run", tmp, "extra"), `unexpected argument "extra"`, 2},
		{analyze("--map", "W1=fc2.weight"), "flag --map works only with --weights FILE", 2},
		{analyze("--target", "fc2"), "flag --target works only with --weights FILE", 2},
		{analyze("--weights", filepath.Join(tmp, "missing.npz")), "flag --weights: open", 2},
		{analyze("--weights", weights, "--run", tmp), "flags --run and --weights exclude each other", 2},
		{analyze("--weights", weights, "--epochs", "3"), "flag --epochs has no effect with --weights", 2},
		{analyze("--weights", notZip), "not an .npz (zip) archive", 1},
		{analyze("--weights", weights, "--map", "nokey=fc1"), `has no key "nokey"`, 2},
		{analyze("--weights", weights, "--map", "justakey"), `"justakey" is not FILE_KEY=OUR_NAME`, 2},
		{analyze("--weights", weights, "--map", "net.0=fc1,net.2=fc1"), `would both become "fc1.weight"`, 2},
		{analyze("--weights", weights), `missing key "fc1.weight" (shape (32, 784))`, 1},
		{analyze("--weights", extra, "--map", "net.0=fc1,net.2=fc2,net.4=fc3", "--hidden", "6,5"), "keys fc1.bias are not parameters of the model (its parameters: fc1.weight, fc2.weight, fc3.weight)", 2},
		{analyze("--weights", weights, "--map", "net.0=fc1,net.2=fc2,net.4=fc3"), `npz key "fc1.weight": shape (6, 784), want (32, 784)`, 1},
		{analyze("--weights", weights, "--map", "net.0=fc1,net.2=fc2,net.4=fc3", "--hidden", "6,5", "--target", "fc9"), `flag --target = "fc9": want a dense layer of the model: fc1, fc2, fc3`, 2},
		{analyze("--weights", weights, "--map", "net.0=fc1,net.2=fc2,net.4=fc3", "--hidden", "6,x"), `flag --hidden = "6,x"`, 2},
		{analyze("--weights", weights, "--map", "net.0=fc1,net.2=fc2,net.4=fc3", "--hidden", "6,5", "--batch", "41"), "flag --batch = 41: want at most N = 40", 2},
		{analyze("--weights", weights, "--map", "net.0=fc1,net.2=fc2,net.4=fc3", "--hidden", "6,5", "--nprime", "0"), "flag --nprime = 0", 2},
		{analyze("--weights", weights, "--map", "net.0=fc1,net.2=fc2,net.4=fc3", "--hidden", "6,5", "--indices", filepath.Join(tmp, "i.txt")), `holds the samples themselves (key "x")`, 2},
		{analyze("--weights", weights, "--map", "net.0=fc1,net.2=fc2,net.4=fc3", "--hidden", "6,5", "--batch", "10", "--budget", "0.000001", "-q"), "--topk K analyses only the top K directions", 1},
		{[]string{"grid", "-n", "--datasets", "imagenet"}, `flag --datasets = "imagenet": want a comma-separated list of mnist, cifar10`, 2},
		{[]string{"grid", "-n", "--models", "mlp,rnn"}, `flag --models = "mlp,rnn"`, 2},
		{[]string{"grid", "-n", "--losses", "hinge"}, `flag --losses = "hinge"`, 2},
		{[]string{"grid", "-n", "--shard", "1/2/3"}, `flag --shard = "1/2/3": want i/n with 0 <= i < n`, 2},
		{[]string{"grid", "-n", "--shard", "3/3"}, `flag --shard = "3/3"`, 2},
		{[]string{"grid", "-n", "--shard", "-1/2"}, `flag --shard = "-1/2"`, 2},
		{[]string{"grid", "-n", "--shard", "1/0"}, `flag --shard = "1/0"`, 2},
		{[]string{"grid", "-n", "--shard", "a"}, `flag --shard = "a"`, 2},
		{[]string{"grid", "-n", "--seeds", "a"}, `flag --seeds = "a": want comma-separated non-negative integers`, 2},
		{[]string{"grid", "-n", "--seeds", "-1"}, `flag --seeds = "-1"`, 2},
		{[]string{"grid", "-n", "--seeds", ","}, `flag --seeds = ",": want at least one seed`, 2},
		{[]string{"grid", "-n", "extra"}, `unexpected argument "extra"`, 2},
		{[]string{"reproduce", "--only", "C99"}, `flag --only = "C99": want a comma-separated list of C1, C2, C3, C4-C5`, 2},
		{[]string{"reproduce", "--seeds", "0"}, "flag --seeds = 0: want a number of seeds from 1 to 16", 2},
		{[]string{"reproduce", "--models", "rnn"}, `flag --models = "rnn"`, 2},
		{[]string{"reproduce", "--budget", "-1"}, "flag --budget = -1: want a positive, finite number of GiB", 2},
		{[]string{"report", "--budget", "4"}, "flag provided but not defined: -budget", 2},
		{[]string{"reproduce", "extra"}, `unexpected argument "extra"`, 2},
		{[]string{"report", "--only", "C99"}, `flag --only = "C99"`, 2},
		{[]string{"report", "--paper", "now"}, `unexpected argument "now"`, 2},
		{[]string{"report", "--summaries", "docs/results"}, "flag --summaries works only with --readme FILE", 2},
		{[]string{"report", "--readme", "README.md", "--paper"}, "flag --paper has no effect with --readme", 2},
		{[]string{"report", "--readme", filepath.Join(tmp, "no-such-README.md"), "--summaries", tmp}, "--summaries: ", 1},
		{[]string{"report", "--add-cells", fastSummary, "--readme", "README.md"}, "--add-cells and --readme are separate steps", 2},
		{[]string{"report", "--add-cells", fastSummary, "--only", "C7"}, "flag --only has no effect with --add-cells", 2},
		{[]string{"report", "--add-cells", filepath.Join(tmp, "none.json")}, "--add-cells: open ", 1},
		{[]string{"report", "--add-cells", fastSummary, "--paper", "--cache", cache}, "holds the fast preset, the cells asked for are the paper preset's", 1},
		{[]string{"report", "--add-cells", fastSummary, "--cache", cache}, "the cache holds no Table 1 cell of the fast preset", 1},
	} {
		_, _, err := capture(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n  err  %v\n  want it to contain %q", tc.args, err, tc.want)
			continue
		}
		if got := exitCode(err); got != tc.code {
			t.Errorf("%q: exit status %d, want %d (err %v)", tc.args, got, tc.code, err)
		}
	}
	if ents, _ := os.ReadDir(cache); len(ents) > 0 {
		t.Errorf("bad command lines left %d entries in the cache, want none", len(ents))
	}
}

// TestHelp: -h stops before any work with status 0, and every command has its own text with
// examples; reproduce and report differ, and the cell commands show the presets' defaults.
func TestHelp(t *testing.T) {
	texts := map[string]string{}
	for _, cmd := range []string{"reproduce", "report", "train", "analyze", "grid", "data", "cache"} {
		out, _, err := capture(t, cmd, "-h")
		if !errors.Is(err, errHelp) || exitCode(err) != 0 {
			t.Errorf("%s -h: err = %v (status %d), want errHelp (status 0, stop after the help)", cmd, err, exitCode(err))
		}
		if !strings.Contains(out, "usage: noisecurv "+cmd) || (cmd != "data" && strings.Count(out, "\n  noisecurv "+cmd) < 2) {
			t.Errorf("%s -h: no usage line or fewer than 2 examples:\n%s", cmd, out)
		}
		texts[cmd] = out
	}
	if texts["reproduce"] == texts["report"] {
		t.Error("reproduce -h and report -h are identical")
	}
	if !strings.Contains(texts["report"], "computing no training run") {
		t.Errorf("report -h does not say it computes nothing:\n%s", texts["report"])
	}
	for _, cmd := range []string{"train", "analyze"} {
		// The fast and paper defaults of the MNIST MLP CE cell: 30 and 100 epochs, 300 and
		// 2000 per class, batch 50, lr 0.1.
		if !strings.Contains(texts[cmd], "mnist mlp ce         30       300  50 0.1        100      2000  50 0.1") {
			t.Errorf("%s -h lacks the presets' defaults:\n%s", cmd, texts[cmd])
		}
	}
	if !strings.Contains(texts["analyze"], "np.savez") || !strings.Contains(texts["analyze"], "FILE_KEY=OUR_NAME") {
		t.Error("analyze -h does not explain --weights and the direction of --map")
	}
	out, _, err := capture(t, "-h")
	if exitCode(err) != 0 || !strings.Contains(out, "report      write the HTML report from cached results only") {
		t.Errorf("noisecurv -h: status %d, output\n%s", exitCode(err), out)
	}
}

func TestGridDryRunChangesNothing(t *testing.T) {
	dir := t.TempDir()
	out, _, err := capture(t, "grid", "-n", "--seeds", "0", "--datasets", "mnist", "--models", "mlp", "--cache", dir, "--shard", "1/3")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, "cached=false"); n == 0 || n > 6 {
		t.Errorf("shard 1/3 of 6 cells lists %d cells:\n%s", n, out)
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		t.Errorf("grid -n wrote %d entries", len(ents))
	}
}

// TestReportComputesNothing: report on an empty cache computes no run (the cache stays
// empty), names the missing claims and the command that computes them, and fails since
// nothing at all is cached.
func TestReportComputesNothing(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	_, errOut, err := capture(t, "report", "--only", "C4-C5", "--cache", cache, "--out", filepath.Join(dir, "report"), "-q")
	if err == nil || !strings.Contains(err.Error(), "nothing is cached") {
		t.Errorf("report on an empty cache: err = %v", err)
	}
	if !strings.Contains(errOut, "noisecurv reproduce --only C4-C5") {
		t.Errorf("report does not name the command for the missing claims:\n%s", errOut)
	}
	ents, _ := os.ReadDir(cache)
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") {
			t.Errorf("report computed cache entry %s", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "report", "index.html")); err != nil {
		t.Errorf("no report page: %v", err)
	}
}

func TestCacheMergeCommand(t *testing.T) {
	ctx := context.Background()
	src, dst := t.TempDir(), t.TempDir()
	if err := (experiment.Cache{Dir: src}).Put("k", map[string][]byte{"a": []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"cache", "merge", "--cache", dst, src}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := (experiment.Cache{Dir: dst}).Get("k"); !ok || err != nil {
		t.Fatalf("entry not merged: ok=%v err=%v", ok, err)
	}
	if err := run(ctx, []string{"cache", "merge", "--cache", dst}); !errors.Is(err, errUsage) {
		t.Errorf("no source: err = %v, want a usage error", err)
	}
	if err := run(ctx, []string{"cache", "merge", "--cache", dst, filepath.Join(src, "none")}); err == nil {
		t.Error("a missing source folder was accepted")
	}
}
