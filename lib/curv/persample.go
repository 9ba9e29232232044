package curv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/fit"
)

// PerSample holds per-sample scalars of the target layer, computed from the Kronecker factors
// without forming any D×D matrix. They are the quantities of the derivation that curvature
// enters the noise squared: near convergence of a cross-entropy network, with
// ε_p = 1 − p_y, |g_p|² scales like ε_p² while tr h_p scales like ε_p.
type PerSample struct {
	// Eps is ε_p = 1 − p_y, summed over the other classes' probabilities (full relative
	// accuracy when p_y ≈ 1).
	Eps []float64
	// G2 is |g_p|² = |δ_p|² |a~_p|², the squared norm of the sample's gradient on the layer.
	G2 []float64
	// TrH is tr h_p = tr(B_pᵀ Q_p B_p) |a~_p|², the trace of the Gauss-Newton term (exact
	// when the network is piecewise linear after the layer).
	TrH []float64
	// LogitG2 is |G_p|², the squared norm of the loss gradient in the logits; TrQ is tr Q_p,
	// the trace of the loss Hessian in the logits.
	LogitG2, TrQ []float64
	// QMinRatio is λ_min(Q_p)/λ_max(Q_p) (0 when λ_max ≤ 0): negative for an indefinite
	// logit Hessian (softmax+MSE), about 0 for cross-entropy (Q_p = diag(p) − p pᵀ is PSD with
	// the null direction 1). QIndefinite counts the samples with λ_min < −1e-10 max|λ|.
	QMinRatio   []float64
	QIndefinite int
}

// PerSample computes the per-sample scalars for every sample of the factors; labels are the
// samples' labels (the y of ε_p = 1 − p_y).
func (f *Factors) PerSample(labels []int) (PerSample, error) {
	n, C, dout := f.N, f.Classes, f.Dout
	d := PerSample{Eps: make([]float64, n), G2: make([]float64, n), TrH: make([]float64, n),
		LogitG2: make([]float64, n), TrQ: make([]float64, n)}
	for p := 0; p < n; p++ {
		y := labels[p]
		pr := f.Probs.RawRowView(p)
		var eps float64
		for c, v := range pr {
			if c != y {
				eps += v
			}
		}
		d.Eps[p] = eps
		a := f.A.RawRowView(p)
		a2 := dot(a, a)
		del := f.Delta.RawRowView(p)
		d.G2[p] = dot(del, del) * a2
		G := f.G.RawRowView(p)
		d.LogitG2[p] = dot(G, G)
		Q := f.Q.RawRowView(p)
		B := f.Jac.RawRowView(p)
		var tr, trq float64
		for c := 0; c < C; c++ {
			trq += Q[c*C+c]
			for e := 0; e < C; e++ {
				if q := Q[c*C+e]; q != 0 {
					tr += q * dot(B[c*dout:(c+1)*dout], B[e*dout:(e+1)*dout])
				}
			}
		}
		d.TrH[p] = tr * a2
		d.TrQ[p] = trq
	}
	sym := mat.NewSymDense(C, nil)
	var eig mat.EigenSym
	d.QMinRatio = make([]float64, n)
	for p := 0; p < n; p++ {
		Q := f.Q.RawRowView(p)
		for a := 0; a < C; a++ {
			for b := a; b < C; b++ {
				sym.SetSym(a, b, 0.5*(Q[a*C+b]+Q[b*C+a]))
			}
		}
		if !eig.Factorize(sym, false) {
			return d, fmt.Errorf("curv: PerSample: eigendecomposition of Q_p failed for sample %d", p)
		}
		ev := eig.Values(nil)
		lo, hi := ev[0], ev[len(ev)-1]
		if lo < -1e-10*math.Max(math.Abs(lo), math.Abs(hi)) {
			d.QIndefinite++
		}
		if hi > 0 {
			d.QMinRatio[p] = lo / hi
		}
	}
	return d, nil
}

// Scaling is the per-sample scaling near convergence (the derivation above): log-log slopes
// of |g_p|² and tr h_p on ε_p (2 and 1 for cross-entropy) and of |g_p|² on tr h_p (2) over
// the samples in the window 0 < ε_p <= EpsWindow, and the ranges there of the logit-level
// ratios |G_p|²/ε² (in [1, 2] for cross-entropy) and tr Q_p/ε (in [1 − ε, 2]).
type Scaling struct {
	EpsWindow float64
	NearConv  int // samples in the window
	// The fits; NaN slope and R² where a fit failed, FitErrs saying why.
	FitG2Eps, FitTrEps, FitG2Tr fit.Result
	FitErrs                     []string
	G2EpsRange, TrQEpsRange     [2]float64 // (min, max)
}

// ConvergenceWindow is the upper end of the per-sample fit window: epsMax when at least
// minNear samples have 0 < ε <= epsMax (near convergence), otherwise the lower quartile of
// the positive ε (a model far from convergence, e.g. softmax+MSE on a short run, where the
// asymptotic slopes need not hold).
func (d PerSample) ConvergenceWindow(epsMax float64, minNear int) float64 {
	var pos []float64
	near := 0
	for _, e := range d.Eps {
		if e > 0 {
			pos = append(pos, e)
			if e <= epsMax {
				near++
			}
		}
	}
	if near >= minNear || len(pos) == 0 {
		return epsMax
	}
	sort.Float64s(pos)
	return pos[(len(pos)-1)/4]
}

// Window returns ε_p, |g_p|² and tr h_p of the samples with 0 < ε_p <= epsWindow whose
// |g_p|² and tr h_p are positive (the points FitScaling fits).
func (d PerSample) Window(epsWindow float64) (eps, g2, tr []float64) {
	for i, e := range d.Eps {
		if e > 0 && e <= epsWindow && d.G2[i] > 0 && d.TrH[i] > 0 {
			eps, g2, tr = append(eps, e), append(g2, d.G2[i]), append(tr, d.TrH[i])
		}
	}
	return eps, g2, tr
}

// FitScaling fits the per-sample scaling over the window ConvergenceWindow(epsMax, minNear).
func (d PerSample) FitScaling(epsMax float64, minNear int) Scaling {
	s := Scaling{EpsWindow: d.ConvergenceWindow(epsMax, minNear)}
	s.G2EpsRange = [2]float64{math.Inf(1), math.Inf(-1)}
	s.TrQEpsRange = s.G2EpsRange
	for i, e := range d.Eps {
		if e > 0 && e <= s.EpsWindow && d.G2[i] > 0 && d.TrH[i] > 0 {
			g, t := &s.G2EpsRange, &s.TrQEpsRange
			g[0], g[1] = math.Min(g[0], d.LogitG2[i]/(e*e)), math.Max(g[1], d.LogitG2[i]/(e*e))
			t[0], t[1] = math.Min(t[0], d.TrQ[i]/e), math.Max(t[1], d.TrQ[i]/e)
		}
	}
	eps, g2, trh := d.Window(s.EpsWindow)
	s.NearConv = len(eps)
	for _, q := range []struct {
		dst  *fit.Result
		x, y []float64
		name string
	}{{&s.FitG2Eps, eps, g2, "|g|² vs ε"}, {&s.FitTrEps, eps, trh, "tr h vs ε"}, {&s.FitG2Tr, trh, g2, "|g|² vs tr h"}} {
		var err error
		if *q.dst, err = fit.LogLogOrNaN(q.x, q.y, fit.Options{}); err != nil {
			s.FitErrs = append(s.FitErrs, q.name+": "+err.Error())
		}
	}
	return s
}

// ResidualProbes returns |(H − GGN) v| / |H v| for k seeded Gaussian probes v, with H v from
// exact per-sample HVPs (forward-over-reverse, Method HVP) and GGN v from the Kronecker
// factors (exact for a single dense layer under any downstream network). The two routes
// share no code beyond the forward pass, so a zero here (ReLU networks) is a real check of
// h_p = J_pᵀ Q_p J_p, and a non-zero value (tanh) measures the residual Σ_c (∂l/∂z_c) ∇²z_c.
func ResidualProbes(p *Problem, k int, seed uint64) ([]float64, error) {
	ph := &Problem{Model: p.Model, Loss: p.Loss, X: p.X, Labels: p.Labels, Block: p.Block, Method: HVP}
	hop, err := HessianOperator(ph)
	if err != nil {
		return nil, err
	}
	pg := &Problem{Model: p.Model, Loss: p.Loss, X: p.X, Labels: p.Labels, Block: p.Block}
	gop, err := GaussNewtonOperator(pg)
	if err != nil {
		return nil, err
	}
	d := hop.Dim()
	r := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	v, hv, gv := make([]float64, d), make([]float64, d), make([]float64, d)
	out := make([]float64, k)
	for i := range out {
		for j := range v {
			v[j] = r.NormFloat64()
		}
		hop.MulVec(hv, v)
		gop.MulVec(gv, v)
		var num, den float64
		for j := range hv {
			num += (hv[j] - gv[j]) * (hv[j] - gv[j])
			den += hv[j] * hv[j]
		}
		out[i] = math.Sqrt(num / den)
	}
	return out, nil
}
