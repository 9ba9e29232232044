package experiment

import (
	"context"
	"os"
	"testing"
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
