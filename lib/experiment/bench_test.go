package experiment

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// BenchmarkFastCell is the MNIST MLP fast preset end to end: load and subset the data, train,
// analyze (H, C, Covar, E[h^2], F, EF, eigh, commutation with random baselines) and fit, with
// an empty cache each iteration.
func BenchmarkFastCell(b *testing.B) {
	benchCell(b, true)
}

// BenchmarkPaperCell is the paper's MNIST MLP cell (784-50-50-10, 10 x 2000 samples, 100
// epochs, D = 2500). It takes minutes; it runs only with NOISECURV_BENCH_PAPER=1.
func BenchmarkPaperCell(b *testing.B) {
	if os.Getenv("NOISECURV_BENCH_PAPER") == "" {
		b.Skip("set NOISECURV_BENCH_PAPER=1 to run the paper-size cell")
	}
	benchCell(b, false)
}

func benchCell(b *testing.B, fast bool) {
	c, err := Paper("mnist", "mlp", "ce", 10, 0)
	if err != nil {
		b.Fatal(err)
	}
	if fast {
		c = Fast(c)
	}
	for b.Loop() {
		r, err := Run(context.Background(), c, Options{CacheDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		l, _ := r.Final("")
		b.ReportMetric(r.TrainSecs, "train-s")
		b.ReportMetric(l.Gamma(MatC.V1()), "gamma")
	}
}

// BenchmarkPaperAnalysis8Draws is the whole per-layer analysis of the paper's MNIST MLP cell
// (N 20,000, D 2,500: H, C, Covar, E[h^2], F, EF, eigh, fits, and the commutation metrics of
// C and E[h^2] with 8 random baseline draws each) on a model trained for one epoch. It
// needs MNIST (set NOISECURV_DATA) and runs only with NOISECURV_BENCH_PAPER=1.
func BenchmarkPaperAnalysis8Draws(b *testing.B) {
	if os.Getenv("NOISECURV_BENCH_PAPER") == "" {
		b.Skip("set NOISECURV_BENCH_PAPER=1 to run the paper-size analysis")
	}
	c, err := Paper("mnist", "mlp", "ce", 10, 0)
	if err != nil {
		b.Fatal(err)
	}
	c.Epochs = 1
	o := Options{CacheDir: b.TempDir()}
	set, err := Data(c, o)
	if err != nil {
		b.Fatal(err)
	}
	t, err := Train(context.Background(), c, set, o)
	if err != nil {
		b.Fatal(err)
	}
	loss, err := c.LossFunc()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		// AnalyzeLayer's stages, with the claims' 8 baseline draws instead of RandomDraws.
		p := &curv.Problem{Model: t.Model, Loss: loss, X: set.X, Labels: set.Labels, Block: nn.Block{Layers: c.Targets}}
		a, err := curv.AnalyzeContext(ctx, p, curv.AnalysisOptions{Batch: c.Batch, Seed: c.Seed, KeepDense: true, KeepVectors: true})
		if err != nil {
			b.Fatal(err)
		}
		FitLayer(AnalysisLayer(c.Targets[0], a), c.NPrime, c.Seed)
		t0 := time.Now()
		if _, _, err := commuteSummaries(ctx, a, 8, c.Seed); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "commute-s")
	}
}
