package curv

import (
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/linalg"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// Benchmarks run on the paper's MNIST MLP cell shape: an untrained 784-h-h-10 ReLU net, CE,
// target fc2 (h x h), synthetic U(0,1) inputs. Sub-benchmark "small" (N = 1000, h = 20, D = 400)
// always runs; "paper" (N = 20000, h = 50, D = 2500) only with NOISECURV_BENCH_PAPER=1, so that
// a plain `go test -bench=. -benchtime=1x` stays within a few minutes on the shared machine:
//
//	NOISECURV_BENCH_PAPER=1 go test -run='^$' -bench=. -benchtime=1x ./lib/curv

type benchSize struct {
	name   string
	n, hid int
	paper  bool
}

var benchSizes = []benchSize{{"small", 1000, 20, false}, {"paper", 20000, 50, true}}

var benchCache = map[string]*Problem{}

func benchProblem(b *testing.B, s benchSize) *Problem {
	if s.paper && os.Getenv("NOISECURV_BENCH_PAPER") == "" {
		b.Skip("paper size: set NOISECURV_BENCH_PAPER=1")
	}
	if p, ok := benchCache[s.name]; ok {
		p.Reset()
		return p
	}
	m, err := nn.Build(nn.MLP(784, []int{s.hid, s.hid}, 10, nn.KindReLU), 1)
	if err != nil {
		b.Fatal(err)
	}
	x, labels := testkit.UniformClassification(rand.New(rand.NewPCG(1, 2)), s.n, 784, 10)
	p := &Problem{Model: m, Loss: nn.CrossEntropy{}, X: x, Labels: labels, Block: nn.Block{Layers: []string{"fc2"}}}
	benchCache[s.name] = p
	return p
}

func eachSize(b *testing.B, fn func(b *testing.B, p *Problem)) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			p := benchProblem(b, s)
			b.Logf("backend: %s", linalg.BackendInfo())
			fn(b, p)
		})
	}
}

// chk fails the benchmark on error; call it as chk(b)(f()).
func chk(b *testing.B) func(any, error) {
	return func(_ any, err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
}

func symOrFatal(b *testing.B) func(*mat.SymDense, error) *mat.SymDense {
	return func(s *mat.SymDense, err error) *mat.SymDense {
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
}

func BenchmarkFactors(b *testing.B) {
	eachSize(b, func(b *testing.B, p *Problem) {
		for b.Loop() {
			p.Reset()
			chk(b)(p.Factors())
		}
	})
}

func BenchmarkPerSampleGrads(b *testing.B) {
	eachSize(b, func(b *testing.B, p *Problem) {
		for b.Loop() {
			p.Reset()
			chk(b)(PerSampleGrads(p))
		}
	})
}

func BenchmarkHessian(b *testing.B) {
	eachSize(b, func(b *testing.B, p *Problem) {
		chk(b)(p.Factors())
		for b.Loop() {
			chk(b)(Hessian(p))
		}
	})
}

func BenchmarkHessianSquare(b *testing.B) {
	eachSize(b, func(b *testing.B, p *Problem) {
		chk(b)(p.Factors())
		for b.Loop() {
			chk(b)(HessianSquare(p))
		}
	})
}

func BenchmarkNoiseCov(b *testing.B) {
	eachSize(b, func(b *testing.B, p *Problem) {
		chk(b)(p.Factors())
		for b.Loop() {
			chk(b)(NoiseCov(p, 50))
		}
	})
}

func BenchmarkMinibatchCov(b *testing.B) {
	eachSize(b, func(b *testing.B, p *Problem) {
		chk(b)(p.Factors())
		for b.Loop() {
			chk(b)(MinibatchCov(p, 50, 1))
		}
	})
}

func BenchmarkEigh(b *testing.B) {
	eachSize(b, func(b *testing.B, p *Problem) {
		H := symOrFatal(b)(Hessian(p))
		for b.Loop() {
			must2(b, H)
		}
	})
}

func must2(b *testing.B, h *mat.SymDense) {
	if _, _, err := Eigen(h); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRotate: Diag (A V then column dots) of one D x D matrix, and the full V^T A V.
func BenchmarkRotate(b *testing.B) {
	eachSize(b, func(b *testing.B, p *Problem) {
		H := symOrFatal(b)(Hessian(p))
		C := symOrFatal(b)(NoiseCov(p, 50))
		_, V, err := Eigen(H)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("diag", func(b *testing.B) {
			for b.Loop() {
				Diag(C, V)
			}
		})
		b.Run("full", func(b *testing.B) {
			for b.Loop() {
				Rotate(C, V)
			}
		})
	})
}

func BenchmarkAnalyze(b *testing.B) {
	eachSize(b, func(b *testing.B, p *Problem) {
		for b.Loop() {
			p.Reset()
			t0, c0 := time.Now(), processCPU()
			a, err := Analyze(p, AnalysisOptions{Batch: 50, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(time.Since(t0).Seconds(), "s/total")
			b.ReportMetric((processCPU() - c0).Seconds(), "cpu-s/total")
			for _, s := range a.Timings {
				b.ReportMetric(s.Elapsed.Seconds(), "s/"+s.Name)
				b.ReportMetric(s.CPU.Seconds(), "cpu-s/"+s.Name)
			}
		}
	})
}

// BenchmarkKronProducts times each Kronecker/vech product of the dense analysis (H, E_p[h_p^2],
// EF (= C before the rank-one correction, Eq. 2), F) against a plain dgemm of exactly the same
// shape, P = U^T W with U, W random N x Dout(Dout+1)/2 and N x In(In+1)/2, timed alternately in
// the same iteration so both see the same machine load. Metrics are medians over the
// iterations (use -benchtime=3x or more on a shared machine): s/kron, s/dgemm, their ratio
// (the overhead of filling the per-sample rows and scattering P into K) and GFLOP/s of both
// (2 N no ni flops). Sub-benchmark syrk_NxD is the naive route for reference: one dsyrk of the
// N x D per-sample gradient matrix (N D (D+1) flops, about 2x the vech product's).
func BenchmarkKronProducts(b *testing.B) {
	eachSize(b, func(b *testing.B, p *Problem) {
		f, err := p.Factors()
		if err != nil {
			b.Fatal(err)
		}
		no, ni := f.Dout*(f.Dout+1)/2, f.In*(f.In+1)/2
		rng := rand.New(rand.NewPCG(3, 4))
		rnd := func(r, c int) *mat.Dense {
			m := mat.NewDense(r, c, nil)
			for i, raw := 0, m.RawMatrix().Data; i < len(raw); i++ {
				raw[i] = rng.Float64()
			}
			return m
		}
		U, W := rnd(f.N, no), rnd(f.N, ni)
		flops := linalg.FlopsGemm(no, ni, f.N)
		for _, q := range []struct {
			name string
			fac  kfac
		}{{"H", f.hessFac()}, {"Eh2", f.h2Fac()}, {"EF", f.efFac()}, {"F", f.fisherFac()}} {
			b.Run(q.name, func(b *testing.B) {
				var tk, tg []float64
				P := mat.NewDense(no, ni, nil)
				for b.Loop() {
					t0 := time.Now()
					linalg.MulTA(P, 1, U, W, 0)
					tg = append(tg, time.Since(t0).Seconds())
					t1 := time.Now()
					if _, err := f.kronDense(p.Budget, p.chunk(), 1/float64(f.N), q.fac); err != nil {
						b.Fatal(err)
					}
					tk = append(tk, time.Since(t1).Seconds())
				}
				mk, mg := fit.Median(tk), fit.Median(tg)
				b.ReportMetric(mk, "s/kron")
				b.ReportMetric(mg, "s/dgemm")
				b.ReportMetric(mk/mg, "ratio")
				b.ReportMetric(flops/mk/1e9, "GFLOP/s-kron")
				b.ReportMetric(flops/mg/1e9, "GFLOP/s-dgemm")
			})
		}
		b.Run("syrk_NxD", func(b *testing.B) {
			G, err := f.PerSampleGrads(-1)
			if err != nil {
				b.Fatal(err)
			}
			ef := mat.NewSymDense(f.D, nil)
			var ts []float64
			for b.Loop() {
				t0 := time.Now()
				linalg.SymRankK(ef, 1/float64(f.N), G, 0)
				ts = append(ts, time.Since(t0).Seconds())
			}
			b.ReportMetric(fit.Median(ts), "s/dsyrk")
			b.ReportMetric(linalg.FlopsSymRankK(f.N, f.D)/fit.Median(ts)/1e9, "GFLOP/s")
		})
	})
}

// BenchmarkHVPRoute compares per-sample cost: the brute-force route (D exact HVP passes over a
// subset of ns samples, i.e. all per-sample Hessians, summed into H) against the factorized H
// on all N samples. speedup = (t_hvp/ns) / (t_factorized/N), per sample of H.
func BenchmarkHVPRoute(b *testing.B) {
	eachSize(b, func(b *testing.B, p *Problem) {
		const ns = 8
		sub := &Problem{Model: p.Model, Loss: p.Loss, X: p.X.Slice(0, ns, 0, 784).(*mat.Dense),
			Labels: p.Labels[:ns], Block: p.Block, Method: HVP}
		t0 := time.Now()
		p.Reset()
		chk(b)(Hessian(p))
		tf := time.Since(t0).Seconds() / float64(p.N())
		for b.Loop() {
			t1 := time.Now()
			chk(b)(Hessian(sub))
			th := time.Since(t1).Seconds() / ns
			b.ReportMetric(th, "s/sample-hvp")
			b.ReportMetric(tf, "s/sample-factorized")
			b.ReportMetric(th/tf, "speedup")
		}
	})
}

// BenchmarkAnalyzeTopK is the diagonal-only analysis: top-100 Lanczos on the H operator and
// diagonals of every matrix in those 100 directions, no D x D matrix formed.
func BenchmarkAnalyzeTopK(b *testing.B) {
	eachSize(b, func(b *testing.B, p *Problem) {
		for b.Loop() {
			p.Reset()
			a, err := Analyze(p, AnalysisOptions{Batch: 50, Seed: 1, TopK: 100, Lanczos: LanczosOptions{Seed: 1}})
			if err != nil {
				b.Fatal(err)
			}
			for _, s := range a.Timings {
				b.ReportMetric(s.Elapsed.Seconds(), "s/"+s.Name)
			}
		}
	})
}

// BenchmarkHessianSquareDiagonals compares, on the HVP route (a tanh layer: the Kronecker
// factorization does not apply), the dense E_p[h_p^2] (D HVP passes plus a rank-N update per
// basis vector, N D^3 flops) read in the coordinate basis against HessianDiagonals (D HVP
// passes, no D x D matrix). Shape: 784-32-32-10 tanh, target fc2 (D = 1024), N = 50.
func BenchmarkHessianSquareDiagonals(b *testing.B) {
	m, err := nn.Build(nn.MLP(784, []int{32, 32}, 10, nn.KindTanh), 1)
	if err != nil {
		b.Fatal(err)
	}
	const n = 50
	x, labels := testkit.UniformClassification(rand.New(rand.NewPCG(3, 4)), n, 784, 10)
	p := &Problem{Model: m, Loss: nn.CrossEntropy{}, X: x, Labels: labels, Block: nn.Block{Layers: []string{"fc2"}}}
	b.Run("dense", func(b *testing.B) {
		for b.Loop() {
			chk(b)(HessianSquare(p))
		}
	})
	b.Run("diagonals", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := HessianDiagonals(p, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
