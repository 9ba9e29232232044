package curv

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/noisecurv/noisecurv/lib/nn"
)

// TestAnalyzeContextCancel: a canceled context stops Analyze at the next stage or loop
// iteration, on both routes, with an error wrapping context.Canceled and no result.
func TestAnalyzeContextCancel(t *testing.T) {
	for _, c := range aggCases() {
		for _, stage := range []string{"factors", "dense", "covariance", "eigh", "rotate"} {
			p := makeProblem(t, c, 4)
			ctx, cancel := context.WithCancel(context.Background())
			a, err := AnalyzeContext(ctx, p, AnalysisOptions{Batch: 5, Seed: 1, Progress: func(s string, done, total int) {
				if s == stage && done == 0 {
					cancel()
				}
			}})
			cancel()
			if !errors.Is(err, context.Canceled) || a != nil {
				t.Errorf("%s, canceled in %s: a=%v err=%v", c.name, stage, a != nil, err)
			}
			if p.ctx != nil {
				t.Errorf("%s: the context stayed on the problem", c.name)
			}
			// The same problem analyses normally afterwards.
			if _, err := Analyze(p, AnalysisOptions{Batch: 5, Seed: 1}); err != nil {
				t.Errorf("%s: after cancellation: %v", c.name, err)
			}
		}
	}
}

// TestAnalyzeContextPrompt measures the delay between cancellation and return on the HVP
// route with D = 1024 (one Hessian-vector-product pass per direction): well under a second.
func TestAnalyzeContextPrompt(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	c := netCase{"tanh/ce", mlpSpec(32, []int{32, 32}, 10, nn.KindTanh, false), "ce", block(false, "fc2"), 400}
	p := makeProblem(t, c, 4)
	p.Method = HVP
	ctx, cancel := context.WithCancel(context.Background())
	var at time.Time
	_, err := AnalyzeContext(ctx, p, AnalysisOptions{Batch: 5, Seed: 1, Progress: func(s string, done, total int) {
		if s == "dense" && done == 50 {
			at = time.Now()
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(at); d > time.Second {
		t.Errorf("returned %v after cancellation", d)
	} else {
		t.Logf("returned %v after cancellation", d)
	}
}

// TestCurvBadInput is the curv rows of the bad-input table: batch sizes that used to
// allocate batch-sized buffers (out of memory at 1e9) or give a zero covariance silently.
func TestCurvBadInput(t *testing.T) {
	c := aggCases()[0] // 23 samples
	for _, tc := range []struct {
		name  string
		batch int
		hvp   bool
		msg   string
	}{
		{"batch 1e13", 10000000000000, false, "AnalysisOptions.Batch = 10000000000000 exceeds the 23 samples"},
		{"batch 1e9", 1000000000, false, "exceeds the 23 samples"},
		{"batch N+1", 24, false, "exceeds the 23 samples"},
		{"batch 1e9, HVP route", 1000000000, true, "exceeds the 23 samples"},
		{"batch 0", 0, false, "Batch = 0, want > 0"},
		{"batch -1", -1, false, "Batch = -1, want > 0"},
	} {
		p := makeProblem(t, c, 4)
		if tc.hvp {
			p.Method = HVP
		}
		_, err := Analyze(p, AnalysisOptions{Batch: tc.batch, Seed: 1})
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want ErrInput with %q", tc.name, err, tc.msg)
		}
		if _, err := MinibatchCov(p, tc.batch, 1); !errors.Is(err, ErrInput) {
			t.Errorf("%s: MinibatchCov err = %v, want ErrInput", tc.name, err)
		}
	}
	// B = N is allowed: one batch, the whole set.
	if _, err := MinibatchCov(makeProblem(t, c, 4), 23, 1); err != nil {
		t.Errorf("batch N: %v", err)
	}
}
