package curv

import (
	"context"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"
)

// AnalysisOptions configures Analyze.
type AnalysisOptions struct {
	// Batch is the SGD batch size B of Eq. 2 and of the minibatch estimator (required).
	Batch int
	// Seed seeds the shuffled epoch of the minibatch estimator.
	Seed uint64
	// TopK > 0 computes only the top-k eigenpairs of H by Lanczos on the H operator and the
	// diagonals in diagonal-only mode: no D x D matrix is formed on the factorized route.
	// TopK = 0 (default) uses the dense eigendecomposition of H.
	TopK int
	// Lanczos tunes TopEigen when TopK > 0.
	Lanczos LanczosOptions
	// NoFisher, with TopK > 0 on a block without Kronecker factors (joint blocks, smooth
	// activations), skips the true Fisher F (left nil): it would need dense D x D matrices,
	// while every other diagonal comes from HVPDiagonals without any.
	NoFisher bool
	// KeepDense keeps the dense matrices in the result (dense mode only).
	KeepDense bool
	// KeepVectors keeps the eigenvectors of H in the result.
	KeepVectors bool
	// Progress, if set, is called with the stage name and the progress within the stage.
	Progress func(stage string, done, total int)
}

// Stage is the wall time of one stage of Analyze, and the CPU time the whole process used
// meanwhile (user + system over all threads, BLAS threads included; 0 where unavailable). On a
// shared machine CPU/Elapsed shows how much of the cores the stage actually got.
type Stage struct {
	Name    string
	Elapsed time.Duration
	CPU     time.Duration
}

// DenseMatrices are the dense D x D matrices of an analysis (block layout).
type DenseMatrices struct {
	H, NoiseCov, MinibatchCov, HessianSquare, TrueFisher, EmpiricalFisher *mat.SymDense
}

// Analysis is the result of Analyze: everything in H's eigenbasis, sorted by lambda
// descending (docs/science.md, Notation).
type Analysis struct {
	N, D, Batch int
	Route       string // "factorized" or "hvp"
	// Eigenvalues lambda_i of H, descending (all D, or the top TopK).
	Eigenvalues []float64
	// Eigenvectors (D x k, columns v_i) when KeepVectors.
	Eigenvectors *mat.Dense
	// Diagonals v_i^T A v_i: H_ii (= lambda_i up to rounding), C_ii (Eq. 2), Covar_ii (the
	// minibatch estimator), [E h^2]_ii, F_ii (true Fisher), EF_ii (empirical Fisher).
	H, C, Covar, Eh2, F, EF []float64
	// KappaMax = max_p of the leading per-sample curvature (factorized route; NaN otherwise).
	KappaMax float64
	// MeanLoss and GradNorm describe the point of analysis.
	MeanLoss, GradNorm float64
	// Dense holds the matrices when KeepDense.
	Dense *DenseMatrices
	// Timings lists the stages in order.
	Timings []Stage
}

// Analyze runs the whole measurement of one checkpoint: factors (or the HVP route), H and its
// eigendecomposition, and C, Covar, E_p[h_p^2], F, EF read in H's eigenbasis. This is what the
// CLI and the notebooks call.
func Analyze(p *Problem, opts AnalysisOptions) (*Analysis, error) {
	return AnalyzeContext(context.Background(), p, opts)
}

// AnalyzeContext is Analyze that stops when ctx is done, with an error wrapping ctx.Err():
// ctx is checked between stages and inside the long loops (each chunk of samples of the dense
// Kronecker products, each Hessian-vector-product pass of the HVP route). The dense
// eigendecomposition cannot be interrupted; AnalyzeContext returns at once on cancellation
// and leaves it to finish in the background, its result discarded (at D = 2500 it runs
// for tens of seconds in pure Go). Nothing is returned or kept from a canceled analysis.
func AnalyzeContext(ctx context.Context, p *Problem, opts AnalysisOptions) (*Analysis, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if p == nil {
		return nil, fmt.Errorf("%w: problem is nil", ErrInput)
	}
	p.ctx = ctx
	defer func() { p.ctx = nil }()
	return analyze(ctx, p, opts)
}

func analyze(ctx context.Context, p *Problem, opts AnalysisOptions) (*Analysis, error) {
	if opts.Batch <= 0 {
		return nil, fmt.Errorf("%w: AnalysisOptions.Batch = %d, want > 0", ErrInput, opts.Batch)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if n := p.N(); opts.Batch > n {
		return nil, fmt.Errorf("%w: AnalysisOptions.Batch = %d exceeds the %d samples: one batch would be the whole set and the minibatch covariance zero", ErrInput, opts.Batch, n)
	}
	res := &Analysis{N: p.N(), Batch: opts.Batch, KappaMax: math.NaN()}
	progress := func(stage string, done, total int) {
		if opts.Progress != nil {
			opts.Progress(stage, done, total)
		}
	}
	var t0 time.Time
	var c0 time.Duration
	begin := func(name string) error {
		if err := p.canceled(); err != nil {
			return err
		}
		progress(name, 0, 1)
		t0, c0 = time.Now(), processCPU()
		return nil
	}
	end := func(name string) {
		res.Timings = append(res.Timings, Stage{name, time.Since(t0), processCPU() - c0})
		progress(name, 1, 1)
	}

	if err := begin("factors"); err != nil {
		return nil, err
	}
	f, err := p.route("analysis", true)
	if err != nil {
		return nil, err
	}
	end("factors")
	if f != nil {
		res.Route = "factorized"
		res.D = f.D
		for _, l := range f.Losses {
			res.MeanLoss += l / float64(f.N)
		}
		g := f.Gradient()
		res.GradNorm = math.Sqrt(dot(g, g))
		if err := begin("spectra"); err != nil {
			return nil, err
		}
		sp, err := f.Spectra(1)
		if err != nil {
			return nil, err
		}
		res.KappaMax = sp.KappaMax()
		end("spectra")
	} else {
		res.Route = "hvp"
		if res.D, err = p.Dim(); err != nil {
			return nil, err
		}
		g, err := Gradient(p)
		if err != nil {
			return nil, err
		}
		res.GradNorm = math.Sqrt(dot(g, g))
		m := p.Model.Clone()
		ls, _ := p.Loss.Eval(m.Forward(p.X), p.Labels)
		for _, l := range ls {
			res.MeanLoss += l / float64(len(ls))
		}
	}

	if opts.TopK > 0 {
		if err := begin("lanczos"); err != nil {
			return nil, err
		}
		op, err := HessianOperator(p)
		if err != nil {
			return nil, err
		}
		vals, vecs, err := TopEigen(op, opts.TopK, opts.Lanczos)
		if err != nil {
			return nil, err
		}
		end("lanczos")
		if err := begin("diagonals"); err != nil {
			return nil, err
		}
		var dg *Diagonals
		if opts.NoFisher && f == nil {
			dg, err = HVPDiagonals(p, vecs, opts.Batch, opts.Seed)
		} else {
			dg, err = DiagonalsIn(p, vecs, opts.Batch, opts.Seed)
		}
		if err != nil {
			return nil, err
		}
		end("diagonals")
		res.Eigenvalues = vals
		if opts.KeepVectors {
			res.Eigenvectors = vecs
		}
		res.H, res.C, res.Covar, res.Eh2, res.F, res.EF = dg.H, dg.NoiseCov, dg.MinibatchCov, dg.HessianSquare, dg.TrueFisher, dg.EmpiricalFisher
		return res, nil
	}

	dm := &DenseMatrices{}
	if err := begin("dense"); err != nil {
		return nil, err
	}
	if f != nil {
		r, err := f.kronDenseStop(p.canceled, p.Budget, p.chunk(), 1/float64(f.N), f.hessFac(), f.h2Fac(), f.efFac(), f.fisherFac())
		if err != nil {
			return nil, err
		}
		dm.H, dm.HessianSquare, dm.EmpiricalFisher, dm.TrueFisher = r[0], r[1], r[2], r[3]
	} else {
		// The dense E_p[h_p^2] costs N D^3 flops on this route; without KeepDense only its
		// diagonal in H's eigenbasis is needed, which HessianDiagonals gets after eigh from D
		// more HVP passes.
		if dm.H, dm.HessianSquare, err = p.hessGeneral(opts.KeepDense, func(d, t int) { progress("dense", d, t) }); err != nil {
			return nil, err
		}
		if dm.EmpiricalFisher, err = EmpiricalFisher(p); err != nil {
			return nil, err
		}
		if dm.TrueFisher, err = TrueFisher(p); err != nil {
			return nil, err
		}
	}
	end("dense")
	if err := begin("covariance"); err != nil {
		return nil, err
	}
	g, err := Gradient(p)
	if err != nil {
		return nil, err
	}
	if dm.MinibatchCov, err = MinibatchCov(p, opts.Batch, opts.Seed); err != nil {
		return nil, err
	}
	if opts.KeepDense {
		dm.NoiseCov = mat.NewSymDense(res.D, nil)
		dm.NoiseCov.CopySym(dm.EmpiricalFisher)
		covFromEF(dm.NoiseCov, g, opts.Batch)
	}
	end("covariance")
	if err := begin("eigh"); err != nil {
		return nil, err
	}
	vals, vecs, err := eigenContext(ctx, dm.H)
	if err != nil {
		return nil, err
	}
	end("eigh")
	res.Eigenvalues = vals
	if err := begin("rotate"); err != nil {
		return nil, err
	}
	// H_ii = v_i^T H v_i = lambda_i by construction: no product needed.
	res.H = append([]float64(nil), vals...)
	if dm.HessianSquare != nil {
		res.Eh2 = Diag(dm.HessianSquare, vecs)
	} else if _, res.Eh2, err = HessianDiagonals(p, vecs, func(d, t int) { progress("rotate", d, t) }); err != nil {
		return nil, err
	}
	res.EF = Diag(dm.EmpiricalFisher, vecs)
	res.F = Diag(dm.TrueFisher, vecs)
	res.Covar = Diag(dm.MinibatchCov, vecs)
	// C_ii = (EF_ii - (g.v_i)^2)/B (Eq. 2) without another D x D product.
	gv := make([]float64, res.D)
	mat.NewVecDense(res.D, gv).MulVec(vecs.T(), mat.NewVecDense(res.D, g))
	res.C = make([]float64, res.D)
	for i := range gv {
		res.C[i] = (res.EF[i] - gv[i]*gv[i]) / float64(opts.Batch)
	}
	end("rotate")
	if opts.KeepVectors {
		res.Eigenvectors = vecs
	}
	if opts.KeepDense {
		res.Dense = dm
	}
	if err := p.canceled(); err != nil {
		return nil, err
	}
	return res, nil
}

// eigenContext runs Eigen, returning early with ctx's error if ctx is done first; the
// decomposition then finishes in its goroutine and is dropped.
func eigenContext(ctx context.Context, h *mat.SymDense) ([]float64, *mat.Dense, error) {
	if ctx.Done() == nil {
		return Eigen(h)
	}
	type result struct {
		vals []float64
		vecs *mat.Dense
		err  error
	}
	done := make(chan result, 1)
	go func() {
		vals, vecs, err := Eigen(h)
		done <- result{vals, vecs, err}
	}()
	select {
	case r := <-done:
		return r.vals, r.vecs, r.err
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("curv: analysis canceled during the eigendecomposition: %w", ctx.Err())
	}
}
