package linalg_test

import (
	"flag"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/linalg"
)

// Benchmark shapes. "small" runs whenever its benchmark is selected; the
// "paper" shapes (N = 20000 samples, D = 1275 and 2500 parameters, the
// paper's target layers) take from seconds to minutes each and run only when
// the -bench pattern names them explicitly, e.g.
//
//	go test -run '^$' -bench 'SymRankK/paper' -benchtime=1x ./lib/linalg
//	go test -tags openblas -run '^$' -bench '/paper' -benchtime=1x ./lib/linalg
var (
	gramShapes = []struct {
		name string
		n, d int
	}{
		{"small_N2000_d500", 2000, 500},
		{"paper_N20000_d1275", 20000, 1275},
		{"paper_N20000_d2500", 20000, 2500},
	}
	eigShapes = []struct {
		name string
		d    int
	}{
		{"small_d500", 500},
		{"paper_d2500", 2500},
	}
)

// skipUnlessSelected skips the paper-size sub-benchmarks unless the -bench
// pattern itself contains "paper", and always under -short.
func skipUnlessSelected(b *testing.B, name string) {
	if !strings.HasPrefix(name, "paper") {
		return
	}
	pat := ""
	if f := flag.Lookup("test.bench"); f != nil {
		pat = f.Value.String()
	}
	if testing.Short() || !strings.Contains(pat, "paper") {
		b.Skipf("paper-size shape: select it explicitly with -bench '.../paper' (pattern %q)", pat)
	}
}

func reportGFLOPs(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func logBackend(b *testing.B) {
	b.Helper()
	b.Logf("backend: %s", linalg.BackendInfo())
}

// BenchmarkSymRankK: M = A^T A for N stacked per-sample rows (one dsyrk).
func BenchmarkSymRankK(b *testing.B) {
	logBackend(b)
	for _, s := range gramShapes {
		b.Run(s.name, func(b *testing.B) {
			skipUnlessSelected(b, s.name)
			a := randDense(testkit.NewRand(100), s.n, s.d, 0)
			dst := mat.NewSymDense(s.d, nil)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				linalg.SymRankK(dst, 1, a, 0)
			}
			reportGFLOPs(b, linalg.FlopsSymRankK(s.n, s.d))
		})
	}
}

// BenchmarkMulTA: A^T B for two N x d sample matrices (one dgemm), the shape
// of the cross terms (e.g. C^hg) and of H = E_p[M_p (x) a_p a_p^T].
func BenchmarkMulTA(b *testing.B) {
	logBackend(b)
	for _, s := range gramShapes {
		b.Run(s.name, func(b *testing.B) {
			skipUnlessSelected(b, s.name)
			rng := testkit.NewRand(101)
			a, c := randDense(rng, s.n, s.d, 0), randDense(rng, s.n, s.d, 0)
			dst := mat.NewDense(s.d, s.d, nil)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				linalg.MulTA(dst, 1, a, c, 0)
			}
			reportGFLOPs(b, linalg.FlopsGemm(s.d, s.d, s.n))
		})
	}
}

// BenchmarkEigSym: all eigenpairs. GFLOP/s uses the nominal 14/3 d^3.
func BenchmarkEigSym(b *testing.B) {
	logBackend(b)
	for _, s := range eigShapes {
		b.Run(s.name, func(b *testing.B) {
			skipUnlessSelected(b, s.name)
			// A Gram matrix, like the curvature matrices: PSD with a decaying
			// spectrum.
			g := randDense(testkit.NewRand(102), 2*s.d, s.d, 0)
			a := mat.NewSymDense(s.d, nil)
			linalg.SymRankK(a, 1/float64(2*s.d), g, 0)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := linalg.EigSym(a); err != nil {
					b.Fatal(err)
				}
			}
			reportGFLOPs(b, linalg.FlopsEigSym(s.d))
		})
	}
}

// BenchmarkDiagOfVtAV: v_i^T A v_i for all d columns of an orthogonal-size V
// (d x d), the "diagonal in H's eigenbasis" read of every analysed matrix,
// against the plain route A V (one d x d x d dgemm) timed in the same
// iteration. Metrics are medians over the iterations; GFLOP/s are nominal
// (2 d^3 for both, so they compare the wall times).
func BenchmarkDiagOfVtAV(b *testing.B) {
	logBackend(b)
	for _, s := range eigShapes {
		b.Run(s.name, func(b *testing.B) {
			skipUnlessSelected(b, s.name)
			rng := testkit.NewRand(103)
			a := randSym(rng, s.d)
			v := randDense(rng, s.d, s.d, 0)
			full := mat.NewDense(s.d, s.d, nil)
			linalg.DenseOfSym(full, a)
			w := mat.NewDense(s.d, s.d, nil)
			var td, tg []float64
			for b.Loop() {
				t0 := time.Now()
				linalg.Mul(w, full, v)
				tg = append(tg, time.Since(t0).Seconds())
				t1 := time.Now()
				linalg.DiagOfVtAV(v, a)
				td = append(td, time.Since(t1).Seconds())
			}
			md, mg := fit.Median(td), fit.Median(tg)
			fl := linalg.FlopsGemm(s.d, s.d, s.d)
			b.ReportMetric(md, "s/diag")
			b.ReportMetric(mg, "s/dgemm")
			b.ReportMetric(md/mg, "ratio")
			b.ReportMetric(fl/md/1e9, "GFLOP/s-nominal-diag")
			b.ReportMetric(fl/mg/1e9, "GFLOP/s-dgemm")
		})
	}
}

// BenchmarkRank1Trap is the anti-pattern, for comparison with
// BenchmarkSymRankK: the same A^T A as N rank-1 updates (dsyr; gonum's native
// BLAS in both builds). At d = 500 the accumulator fits in cache and the loop
// looks harmless; at the paper's d = 2500 (N reduced to 2000 to bound the
// time) every update streams the 25 MB upper triangle through memory. Compare
// its GFLOP/s with BenchmarkSymRankK's. Do not write code like it.
func BenchmarkRank1Trap(b *testing.B) {
	for _, s := range []struct {
		name string
		n, d int
	}{{"small_N2000_d500", 2000, 500}, {"paper_N2000_d2500", 2000, 2500}} {
		b.Run(s.name, func(b *testing.B) {
			skipUnlessSelected(b, s.name)
			a := randDense(testkit.NewRand(100), s.n, s.d, 0)
			dst := mat.NewSymDense(s.d, nil)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				raw := dst.RawSymmetric()
				for j := range raw.Data {
					raw.Data[j] = 0
				}
				for p := 0; p < s.n; p++ {
					blas64.Syr(1, blas64.Vector{N: s.d, Inc: 1, Data: a.RawRowView(p)}, raw)
				}
			}
			reportGFLOPs(b, linalg.FlopsSymRankK(s.n, s.d))
		})
	}
}
