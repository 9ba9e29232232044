package curv

import (
	"context"
	"errors"
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
