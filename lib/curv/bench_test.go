package curv

import (
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

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
	rng := rand.New(rand.NewPCG(1, 2))
	x := mat.NewDense(s.n, 784, nil)
	raw := x.RawMatrix().Data
	for i := range raw {
		raw[i] = rng.Float64()
	}
	labels := make([]int, s.n)
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
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
			a, err := Analyze(p, AnalysisOptions{Batch: 50, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			for _, s := range a.Timings {
				b.ReportMetric(s.Elapsed.Seconds(), "s/"+s.Name)
			}
		}
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
