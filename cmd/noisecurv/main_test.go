package main

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestUsageErrors(t *testing.T) {
	ctx := context.Background()
	for _, args := range [][]string{nil, {"frobnicate"}, {"data"}, {"data", "fetch"}, {"train", "--no-such-flag"}} {
		if err := run(ctx, args); !errors.Is(err, errUsage) {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
}

func TestCellFlagsNameTheBadField(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--classes", "4"}, "3, 6 or 10"},
		{[]string{"--loss", "hinge"}, "hinge"},
		{[]string{"--act", "gelu"}, "act"},
		{[]string{"--checkpoints", "x"}, "checkpoints"},
		{[]string{"--label-noise", "1.5"}, "label_noise"},
		{[]string{"--precision", "half"}, "precision"},
	} {
		fs := newFlagSet("test", "")
		var cf cellFlags
		cf.register(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		_, err := cf.config()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
}

func TestGridDryRunAndShardFlag(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := run(ctx, []string{"grid", "-n", "--seeds", "0", "--datasets", "mnist", "--models", "mlp", "--cache", dir, "--shard", "1/3"}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"grid", "-n", "--shard", "3/3", "--cache", dir}); err == nil {
		t.Error("shard 3/3 accepted")
	}
	if err := run(ctx, []string{"grid", "-n", "--seeds", "a", "--cache", dir}); err == nil {
		t.Error("seed 'a' accepted")
	}
	if err := run(ctx, []string{"grid", "-n", "--precision", "float16", "--cache", dir}); err == nil || !strings.Contains(err.Error(), "precision") {
		t.Errorf("--precision float16: err = %v, want one naming the flag", err)
	}
}

func TestAnalyzeRunFolderNeedsConfig(t *testing.T) {
	err := run(context.Background(), []string{"analyze", "--run", t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("analyze of an empty run folder: err = %v, want it to name config.json", err)
	}
}

// TestHelpStopsBeforeWork guards against -h printing the usage and then running the command:
// "grid -h" once started training the whole grid.
func TestHelpStopsBeforeWork(t *testing.T) {
	ctx := context.Background()
	for _, cmd := range []string{"reproduce", "train", "analyze", "grid", "report"} {
		if err := run(ctx, []string{cmd, "-h"}); !errors.Is(err, errHelp) {
			t.Errorf("%s -h: err = %v, want errHelp (stop after the usage)", cmd, err)
		}
	}
}

func TestReproduceModelsFlag(t *testing.T) {
	o, _, _, err := reportFlags("reproduce", []string{"--paper", "--models", "mlp", "--seeds", "2"})
	if err != nil || !o.Paper || len(o.Models) != 1 || o.Models[0] != "mlp" || len(o.Seeds) != 2 {
		t.Errorf("--paper --models mlp --seeds 2: options %+v, err %v", o, err)
	}
	if _, _, _, err := reportFlags("reproduce", []string{"--models", "mlp,rnn"}); err == nil || !strings.Contains(err.Error(), `"rnn"`) {
		t.Errorf("--models mlp,rnn: err = %v, want it to name rnn", err)
	}
}
