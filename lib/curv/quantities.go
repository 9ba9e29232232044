package curv

import (
	"fmt"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/linalg"
)

// PerSampleGrads returns g_p for every sample (N x D, block layout): delta_p (x) a~_p from the
// factors for a single dense layer, nn's batched per-sample gradients otherwise.
func PerSampleGrads(p *Problem) (*mat.Dense, error) {
	f, err := p.route("per-sample gradients", false)
	if err != nil {
		return nil, err
	}
	if f != nil {
		return f.PerSampleGrads(p.Budget)
	}
	return p.gradsGeneral()
}

// Gradient returns the full gradient g = E_p[g_p] (block layout).
func Gradient(p *Problem) ([]float64, error) {
	f, err := p.route("gradient", false)
	if err != nil {
		return nil, err
	}
	if f != nil {
		return f.Gradient(), nil
	}
	G, err := p.gradsGeneral()
	if err != nil {
		return nil, err
	}
	return meanRows(G), nil
}

// Hessian returns H = E_p[h_p] on the block: one chunked Kronecker product when the block is a
// single dense layer of a network piecewise linear after it, D exact HVP passes otherwise.
func Hessian(p *Problem) (*mat.SymDense, error) {
	f, err := p.route("Hessian", true)
	if err != nil {
		return nil, err
	}
	if f != nil {
		return f.Hessian(p.Budget, p.chunk())
	}
	H, _, err := p.hessGeneral(false, nil)
	return H, err
}

// HessianSquare returns E_p[h_p^2] (docs/science.md C2/C6).
func HessianSquare(p *Problem) (*mat.SymDense, error) {
	f, err := p.route("E_p[h_p^2]", true)
	if err != nil {
		return nil, err
	}
	if f != nil {
		return f.HessianSquare(p.Budget, p.chunk())
	}
	_, H2, err := p.hessGeneral(true, nil)
	return H2, err
}

// HessianAndSquare returns H and E_p[h_p^2] together (one pass of HVPs on the general route).
func HessianAndSquare(p *Problem) (H, H2 *mat.SymDense, err error) {
	f, err := p.route("Hessian", true)
	if err != nil {
		return nil, nil, err
	}
	if f != nil {
		r, err := f.kronDense(p.Budget, p.chunk(), 1/float64(f.N), f.hessFac(), f.h2Fac())
		if err != nil {
			return nil, nil, err
		}
		return r[0], r[1], nil
	}
	return p.hessGeneral(true, nil)
}

// EmpiricalFisher returns the uncentered second moment E_p[g_p g_p^T] with the true labels.
func EmpiricalFisher(p *Problem) (*mat.SymDense, error) {
	f, err := p.route("empirical Fisher", false)
	if err != nil {
		return nil, err
	}
	if f != nil {
		return f.EmpiricalFisher(p.Budget, p.chunk())
	}
	G, err := p.gradsGeneral()
	if err != nil {
		return nil, err
	}
	_, d := G.Dims()
	if err := p.Budget.check(fmt.Sprintf("empirical Fisher (%d x %d)", d, d), float64(d)*float64(d), ""); err != nil {
		return nil, err
	}
	ef := mat.NewSymDense(d, nil)
	linalg.SymRankK(ef, 1/float64(p.N()), G, 0)
	return ef, nil
}

// NoiseCov returns the SGD noise covariance of docs/science.md's Eq. 2,
// C = (1/B)(E_p[g_p g_p^T] - g g^T), exactly (no sampling).
func NoiseCov(p *Problem, batch int) (*mat.SymDense, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("%w: batch size %d, want > 0", ErrInput, batch)
	}
	f, err := p.route("noise covariance", false)
	if err != nil {
		return nil, err
	}
	if f != nil {
		return f.NoiseCov(batch, p.Budget, p.chunk())
	}
	ef, err := EmpiricalFisher(p)
	if err != nil {
		return nil, err
	}
	g, err := Gradient(p)
	if err != nil {
		return nil, err
	}
	return covFromEF(ef, g, batch), nil
}

// MinibatchCov returns the authors' empirical estimator "Covar" (see Factors.MinibatchCov for
// the exact definition, including the kept last partial minibatch).
func MinibatchCov(p *Problem, batch int, seed uint64) (*mat.SymDense, error) {
	if err := checkBatch(batch, p.N()); err != nil {
		return nil, err
	}
	f, err := p.route("minibatch covariance", false)
	if err != nil {
		return nil, err
	}
	if f != nil {
		return f.MinibatchCov(batch, seed, p.Budget)
	}
	G, err := p.gradsGeneral()
	if err != nil {
		return nil, err
	}
	gb := batchMeans(G, batch, seed)
	return covFromBatchGrads(gb, meanRows(G), p.Budget)
}

// batchMeans returns the minibatch means of the rows of G for one seeded shuffled epoch.
func batchMeans(G *mat.Dense, batch int, seed uint64) *mat.Dense {
	n, d := G.Dims()
	perm := shuffle(n, seed)
	nb := (n + batch - 1) / batch
	gb := mat.NewDense(nb, d, nil)
	for bi := 0; bi < nb; bi++ {
		s, e := bi*batch, min(n, (bi+1)*batch)
		r := rowOf(gb, bi)
		for _, q := range perm[s:e] {
			axpy(r, 1/float64(e-s), rowOf(G, q))
		}
	}
	return gb
}

// TrueFisher returns F = E_p sum_c p_c g_p(c) g_p(c)^T: labels drawn from the model's softmax
// distribution p_c = softmax(z_p)_c (for every loss, including the MSE variants), with the
// expectation taken exactly over the C classes (not sampled). For softmax cross-entropy
// sum_c p_c (p - e_c)(p - e_c)^T = diag(p) - p p^T = Q_p, so F equals the Gauss-Newton matrix.
func TrueFisher(p *Problem) (*mat.SymDense, error) {
	f, err := p.route("true Fisher", false)
	if err != nil {
		return nil, err
	}
	if f != nil {
		return f.TrueFisher(p.Budget, p.chunk())
	}
	return p.ggnGeneral(true)
}

// GaussNewton returns GGN = E_p[J_p^T Q_p J_p], J_p = d logits/d theta, Q_p = d^2 l/d logits^2.
func GaussNewton(p *Problem) (*mat.SymDense, error) {
	f, err := p.route("Gauss-Newton", false)
	if err != nil {
		return nil, err
	}
	if f != nil {
		return f.GaussNewton(p.Budget, p.chunk())
	}
	return p.ggnGeneral(false)
}

// FisherChain compares, densely on one problem, the links H = F = EF of the chain behind
// "C ∝ H" (docs/science.md C1). Relative errors are Frobenius, |A − B|_F / |B|_F.
type FisherChain struct {
	RelFH    float64 // |F − H|_F / |H|_F: 0 for softmax cross-entropy (canonical link), not for MSE
	RelEFF   float64 // |EF − F|_F / |F|_F: 0 only for a well-specified model
	TrEFF    float64 // tr EF / tr F
	MeanGrad float64 // |g gᵀ|_F / |EF|_F = |g|² / |EF|_F, g the mean gradient: what C = (EF − g gᵀ)/B removes
}

// CompareFisher forms H, F and EF of p as dense matrices and compares them (FisherChain).
func CompareFisher(p *Problem) (FisherChain, error) {
	var out FisherChain
	H, err := Hessian(p)
	if err != nil {
		return out, err
	}
	F, err := TrueFisher(p)
	if err != nil {
		return out, err
	}
	EF, err := EmpiricalFisher(p)
	if err != nil {
		return out, err
	}
	g, err := Gradient(p)
	if err != nil {
		return out, err
	}
	var gg float64
	for _, v := range g {
		gg += v * v
	}
	out.RelFH = linalg.RelFrobenius(F, H)
	out.RelEFF = linalg.RelFrobenius(EF, F)
	out.TrEFF = mat.Trace(EF) / mat.Trace(F)
	out.MeanGrad = gg / mat.Norm(EF, 2)
	return out, nil
}

// MeanGradShare is the median over the first n directions (n <= 0: all) of the share of
// the empirical Fisher that the mean gradient carries, (g·v_i)² / EF_ii, recovered from the
// diagonals of Eq. 2, C = (EF − g gᵀ)/B, as 1 − B C_ii / EF_ii; directions with EF_ii <= 0
// are skipped. NaN when none is left.
func MeanGradShare(ef, c []float64, batch, n int) float64 {
	m := min(len(ef), len(c))
	if n > 0 {
		m = min(m, n)
	}
	var r []float64
	for i := 0; i < m; i++ {
		if ef[i] > 0 {
			r = append(r, 1-float64(batch)*c[i]/ef[i])
		}
	}
	return fit.Median(r)
}

// GaussNewtonGap is the Gauss-Newton residual H − GGN of one problem, measured densely.
type GaussNewtonGap struct {
	D        int
	Rel      float64 // |H − GGN|_F / |H|_F: rounding for piecewise-linear networks, not for tanh
	Tr       float64 // tr(H − GGN) / tr H
	HSeconds float64 // time to form H (D exact HVP passes when the network is not piecewise linear)
}

// CompareGaussNewton forms H (Hessian's route) and GGN of p and compares them.
func CompareGaussNewton(p *Problem) (GaussNewtonGap, error) {
	var out GaussNewtonGap
	t0 := time.Now()
	H, err := Hessian(p)
	if err != nil {
		return out, err
	}
	out.HSeconds = time.Since(t0).Seconds()
	G, err := GaussNewton(p)
	if err != nil {
		return out, err
	}
	out.D = H.SymmetricDim()
	out.Rel = linalg.RelFrobenius(G, H)
	out.Tr = (mat.Trace(H) - mat.Trace(G)) / mat.Trace(H)
	return out, nil
}

// Residual returns H - GGN = E_p sum_c (dl_p/dz_c) hess z_c, the term that the Fisher = Hessian
// argument drops (docs/science.md C1). H is ALWAYS computed by exact per-sample HVPs here (D passes
// over the data), so that the result is a real check: it vanishes (to rounding) when the
// network is piecewise linear in the block, and not for tanh downstream or joint blocks.
func Residual(p *Problem) (*mat.SymDense, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	H, _, err := p.hessGeneral(false, nil)
	if err != nil {
		return nil, err
	}
	G, err := GaussNewton(p)
	if err != nil {
		return nil, err
	}
	H.AddSym(H, scaled(G, -1))
	return H, nil
}

func scaled(s *mat.SymDense, a float64) *mat.SymDense {
	out := mat.NewSymDense(s.SymmetricDim(), nil)
	out.ScaleSym(a, s)
	return out
}

// PerSampleHessians returns the dense per-sample Hessians h_p of the samples idx (block
// layout): from the factorization when it is exact, from D exact HVP passes otherwise.
func PerSampleHessians(p *Problem, idx []int) ([]*mat.SymDense, error) {
	if len(idx) == 0 {
		return nil, fmt.Errorf("%w: PerSampleHessians: no sample indices", ErrInput)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	for _, i := range idx {
		if i < 0 || i >= p.N() {
			return nil, fmt.Errorf("%w: PerSampleHessians: sample index %d out of range [0,%d)", ErrInput, i, p.N())
		}
	}
	f, err := p.route("per-sample Hessians", true)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return p.perSampleHessiansGeneral(idx)
	}
	if err := p.Budget.check(fmt.Sprintf("%d per-sample Hessians (%d x %d)", len(idx), f.D, f.D), float64(len(idx))*float64(f.D)*float64(f.D), ""); err != nil {
		return nil, err
	}
	out := make([]*mat.SymDense, len(idx))
	for r, i := range idx {
		out[r] = f.kronSample(f.hessFac(), i)
	}
	return out, nil
}

// checkBatch refuses a minibatch size outside 1..n: with B > N the whole set is a single
// batch, the minibatch estimator is identically zero and C (Eq. 2) describes no SGD run.
func checkBatch(batch, n int) error {
	if batch <= 0 || batch > n {
		return fmt.Errorf("%w: batch size %d, want 1..%d (the number of samples)", ErrInput, batch, n)
	}
	return nil
}
