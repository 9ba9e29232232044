package commute

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/linalg"
)

// Options configures Compute.
type Options struct {
	// Windows to evaluate; nil means DefaultWindows(m) for m modes.
	Windows []Window
	// Draws is the number of Haar baseline draws (0: no baseline). Each costs a Haar Q
	// (4D³/3 flops, shared by all matrices of a ComputeMany call) and D³ flops per matrix.
	Draws int
	// Seed seeds the baseline: rand.NewPCG(Seed, Seed^0x9E3779B97F4A7C15).
	Seed uint64
	// EigA optionally gives A's eigenvalues (one matrix only); without them the baseline
	// uses the eigenvalues of K = Vᵀ A V, which are A's when V is square (one values-only
	// eigendecomposition per matrix, before the draws).
	EigA []float64
}

// BaselineMetrics summarises the metrics of the random baseline on one window over draws.
type BaselineMetrics struct {
	Window                                                       Window
	Commutator, CommutatorAH, OffDiagRatio, DiagEnergy, Spearman fit.Summary
	// Commutators are the normalized commutator of every draw, in draw order (a held-out
	// draw serves as a control: tested against the others, it must look like the null).
	Commutators []float64
}

// Metrics gathers the claim-C3 metrics of A against H, with the random baseline.
type Metrics struct {
	D     int             // number of modes (columns of V)
	Data  []WindowMetrics // one per window
	Rand  []BaselineMetrics
	Draws int
	Seed  uint64
	// Analytic Haar expectations over the full space (package documentation).
	HaarCommutatorRMS, HaarDiagEnergy float64
	// K = Vᵀ A V, kept for heat maps (TopBlock / SymlogBlock).
	K *mat.SymDense
}

// Compute rotates A into H's eigenbasis (K = Vᵀ A V; V's columns are H's eigenvectors in
// the order of lambda, descending) and evaluates every metric on every window, for the data
// and for opt.Draws random spectrum-preserving baselines.
func Compute(a mat.Symmetric, lambda []float64, v *mat.Dense, opt Options) (*Metrics, error) {
	return ComputeContext(context.Background(), a, lambda, v, opt)
}

// ComputeContext is Compute that stops with an error wrapping ctx.Err() when ctx is done,
// checked before the rotation and before each baseline draw (each a few D³ flops: seconds at
// D = 2500 in pure Go).
func ComputeContext(ctx context.Context, a mat.Symmetric, lambda []float64, v *mat.Dense, opt Options) (*Metrics, error) {
	_, m := v.Dims()
	if opt.EigA != nil && len(opt.EigA) != m {
		return nil, fmt.Errorf("commute: Compute: EigA has %d values, expected %d (square V)", len(opt.EigA), m)
	}
	ms, err := ComputeMany(ctx, []mat.Symmetric{a}, lambda, v, opt)
	if err != nil {
		return nil, err
	}
	return ms[0], nil
}

// ComputeMany is ComputeContext for several matrices against the same H. Baseline draw d
// uses the same Haar Q for every matrix (the d-th draw of opt.Seed's stream, as Compute
// would use for each matrix alone), so Q, the dominant cost of a draw, is made once.
// opt.EigA must be nil unless there is one matrix.
func ComputeMany(ctx context.Context, as []mat.Symmetric, lambda []float64, v *mat.Dense, opt Options) ([]*Metrics, error) {
	_, m := v.Dims()
	if len(lambda) != m {
		return nil, fmt.Errorf("commute: Compute: %d eigenvalues for %d eigenvectors", len(lambda), m)
	}
	if err := opt.checkEigA("ComputeMany", len(as)); err != nil {
		return nil, err
	}
	ks, err := RotateMany(ctx, as, v)
	if err != nil {
		return nil, err
	}
	return computeRotated(ctx, ks, lambda, opt)
}

// checkEigA reports an error when EigA is given for n != 1 matrices (function fn).
func (o Options) checkEigA(fn string, n int) error {
	if o.EigA != nil && n != 1 {
		return fmt.Errorf("commute: %s: EigA given for %d matrices, expected one matrix", fn, n)
	}
	return nil
}

// ComputeRotated is Compute for an already rotated K = Vᵀ A V.
func ComputeRotated(k *mat.SymDense, lambda []float64, opt Options) (*Metrics, error) {
	ms, err := computeRotated(context.Background(), []*mat.SymDense{k}, lambda, opt)
	if err != nil {
		return nil, err
	}
	return ms[0], nil
}

// ComputeRotatedMany is ComputeMany for already rotated matrices K = Vᵀ A V (RotateMany): a
// caller that also needs the K (for DiagonalNull, say) can start that work before the draws.
func ComputeRotatedMany(ctx context.Context, ks []*mat.SymDense, lambda []float64, opt Options) ([]*Metrics, error) {
	if err := opt.checkEigA("ComputeRotatedMany", len(ks)); err != nil {
		return nil, err
	}
	return computeRotated(ctx, ks, lambda, opt)
}

// computeRotated evaluates the metrics of every K, and of opt.Draws baselines
// Qᵀ diag(eig K) Q sharing each draw's Q.
func computeRotated(ctx context.Context, ks []*mat.SymDense, lambda []float64, opt Options) ([]*Metrics, error) {
	for i, l := range lambda {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return nil, fmt.Errorf("commute: lambda[%d] is %v, expected a finite value", i, l)
		}
	}
	if opt.Draws < 0 {
		return nil, fmt.Errorf("commute: Draws=%d, expected >= 0", opt.Draws)
	}
	outs := make([]*Metrics, len(ks))
	spectra := make([][]float64, len(ks))
	for i, k := range ks {
		m := k.SymmetricDim()
		if len(lambda) != m {
			return nil, fmt.Errorf("commute: ComputeRotated: %d eigenvalues for a %d×%d K", len(lambda), m, m)
		}
		if opt.EigA != nil && len(opt.EigA) != m {
			return nil, fmt.Errorf("commute: ComputeRotated: EigA has %d values, expected %d", len(opt.EigA), m)
		}
		ws := opt.Windows
		if ws == nil {
			ws = DefaultWindows(m)
		}
		out := &Metrics{D: m, Draws: opt.Draws, Seed: opt.Seed, K: k,
			HaarCommutatorRMS: HaarCommutatorRMS(k, lambda), HaarDiagEnergy: HaarDiagEnergy(k)}
		for _, w := range ws {
			wm, err := Evaluate(k, lambda, w)
			if err != nil {
				return nil, err
			}
			out.Data = append(out.Data, wm)
		}
		outs[i] = out
		if opt.Draws == 0 {
			continue
		}
		spectra[i] = opt.EigA
		if spectra[i] == nil {
			mu, err := linalg.EigSymValues(k)
			if err != nil {
				return nil, fmt.Errorf("commute: spectrum for the baseline: %w", err)
			}
			spectra[i] = mu
		}
	}
	if opt.Draws == 0 {
		return outs, nil
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9E3779B97F4A7C15))
	per := make([][][5][]float64, len(ks)) // matrix -> window -> metric -> draw
	for i, out := range outs {
		per[i] = make([][5][]float64, len(out.Data))
		for wi := range per[i] {
			for j := range per[i][wi] {
				per[i][wi][j] = make([]float64, opt.Draws)
			}
		}
	}
	if err := baselineDraws(ctx, outs, spectra, lambda, opt.Draws, rng, per); err != nil {
		return nil, err
	}
	for i, out := range outs {
		for wi, wd := range out.Data {
			p := per[i][wi]
			out.Rand = append(out.Rand, BaselineMetrics{Window: wd.Window,
				Commutator: fit.Aggregate(p[0]), CommutatorAH: fit.Aggregate(p[1]),
				OffDiagRatio: fit.Aggregate(p[2]), DiagEnergy: fit.Aggregate(p[3]), Spearman: fit.Aggregate(p[4]),
				Commutators: p[0]})
		}
	}
	return outs, nil
}

// Metric returns the metric named key: "commutator" (Commutator), "commutatorAH"
// (CommutatorAH), "offdiag" (OffDiagRatio), "diagenergy" (DiagEnergy) or "spearman"
// (Spearman); NaN for any other name.
func (w WindowMetrics) Metric(key string) float64 {
	switch key {
	case "commutator":
		return w.Commutator
	case "commutatorAH":
		return w.CommutatorAH
	case "offdiag":
		return w.OffDiagRatio
	case "diagenergy":
		return w.DiagEnergy
	case "spearman":
		return w.Spearman
	}
	return math.NaN()
}

// Metric returns the mean over draws of the metric named key (the names of
// WindowMetrics.Metric); NaN for any other name.
func (b BaselineMetrics) Metric(key string) float64 {
	s, ok := map[string]fit.Summary{"commutator": b.Commutator, "commutatorAH": b.CommutatorAH, "offdiag": b.OffDiagRatio,
		"diagenergy": b.DiagEnergy, "spearman": b.Spearman}[key]
	if !ok {
		return math.NaN()
	}
	return s.Mean
}

// baselineDraws fills per[i][w][metric][d] with the metrics of Haar draw d of matrix i on
// window w. The reflectors of each draw are taken from rng in draw order on this goroutine;
// forming Q, the spectrum draws and their metrics run on min(GOMAXPROCS, draws) workers, a
// draw each, with single-threaded BLAS (linalg.SerialThreads), so that every value is the
// same for any number of threads. A worker holds about 2 + len(outs) D×D matrices at a time.
// On 2 cores, two one-thread draws side by side beat one two-thread draw at a time: forming
// Q (blocked dorgqr) has unblocked panels that leave the second thread idle.
func baselineDraws(ctx context.Context, outs []*Metrics, spectra [][]float64, lambda []float64, draws int, rng *rand.Rand, per [][][5][]float64) error {
	type job struct {
		d int
		h haarDraw
	}
	release := linalg.SerialThreads()
	defer release()
	jobs := make(chan job)
	errs := make([]error, draws)
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), draws)) {
		wg.Go(func() {
			for jb := range jobs {
				q := jb.h.form()
				for i, out := range outs {
					kr := spectrumDraw(q, spectra[i])
					for wi, wd := range out.Data {
						wm, err := Evaluate(kr, lambda, wd.Window)
						if err != nil {
							errs[jb.d] = fmt.Errorf("commute: baseline draw %d: %w", jb.d, err)
							break
						}
						for j, v := range [5]float64{wm.Commutator, wm.CommutatorAH, wm.OffDiagRatio, wm.DiagEnergy, wm.Spearman} {
							per[i][wi][j][jb.d] = v
						}
					}
				}
			}
		})
	}
	var stop error
	for d := 0; d < draws; d++ {
		if err := ctx.Err(); err != nil {
			stop = fmt.Errorf("commute: before baseline draw %d: %w", d, err)
			break
		}
		jobs <- job{d, haarReflectors(len(lambda), rng)}
	}
	close(jobs)
	wg.Wait()
	if stop != nil {
		return stop
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
