package curv

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/linalg"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// newRand returns the project's deterministic stream for seed.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
}

// shuffle returns the seeded permutation of 0..n-1 used by the minibatch estimator.
func shuffle(n int, seed uint64) []int { return newRand(seed).Perm(n) }

// ----- the general route: nn's exact per-sample gradients and Hessian-vector products -----

// unitLoss is the "loss" l = z_c whose logit gradient is the unit vector e_c: its per-sample
// gradients are the rows J_p[c,:] of the per-sample Jacobians d z_c / d theta.
type unitLoss struct{ c int }

func (u unitLoss) Name() string { return fmt.Sprintf("unit-logit-%d", u.c) }
func (u unitLoss) Eval(logits *mat.Dense, labels []int) ([]float64, *mat.Dense) {
	n, C := logits.Dims()
	l := make([]float64, n)
	g := mat.NewDense(n, C, nil)
	for p := 0; p < n; p++ {
		l[p] = logits.At(p, u.c)
		g.Set(p, u.c, 1)
	}
	return l, g
}
func (u unitLoss) LogitHessian(_ []float64, _ int, q []float64) { clear(q) }

// sub returns rows [s,e) of x and labels.
func (p *Problem) sub(s, e int) (*mat.Dense, []int) {
	_, c := p.X.Dims()
	return p.X.Slice(s, e, 0, c).(*mat.Dense), p.Labels[s:e]
}

// gradsGeneral returns the per-sample gradients (N x D) from nn.
func (p *Problem) gradsGeneral() (*mat.Dense, error) {
	d, err := p.Model.BlockSize(p.Block)
	if err != nil {
		return nil, err
	}
	if err := p.Budget.check(fmt.Sprintf("per-sample gradients (%d x %d)", p.N(), d), float64(p.N())*float64(d), ""); err != nil {
		return nil, err
	}
	m := p.Model.Clone()
	G, err := m.PerSampleGrads(p.X, p.Labels, p.Loss, p.Block)
	if err != nil {
		return nil, fmt.Errorf("curv: per-sample gradients: %w", err)
	}
	return G, nil
}

// meanRows returns (1/N) sum of the rows.
func meanRows(g *mat.Dense) []float64 {
	n, d := g.Dims()
	out := make([]float64, d)
	for p := 0; p < n; p++ {
		axpy(out, 1, rowOf(g, p))
	}
	for i := range out {
		out[i] /= float64(n)
	}
	return out
}

// hessGeneral computes H = E_p[h_p] and, if wantSq, E_p[h_p^2] from D exact per-sample HVPs
// with the basis vectors e_k: R_k = [h_p e_k]_p (N x D) gives column k of H as the mean row,
// and since h_p is symmetric, h_p^2 = sum_k (h_p e_k)(h_p e_k)^T, so E_p[h_p^2] =
// (1/N) sum_k R_k^T R_k (one SymRankK per basis vector, no per-sample storage).
func (p *Problem) hessGeneral(wantSq bool, progress func(done, total int)) (H, H2 *mat.SymDense, err error) {
	d, err := p.Model.BlockSize(p.Block)
	if err != nil {
		return nil, nil, err
	}
	n := p.N()
	nm := 1.0
	if wantSq {
		nm = 2
	}
	if err := p.Budget.check(fmt.Sprintf("Hessian by HVPs (%d x %d)", d, d), nm*float64(d)*float64(d)+float64(n)*float64(d), ""); err != nil {
		return nil, nil, err
	}
	m := p.Model.Clone()
	Hd := mat.NewDense(d, d, nil)
	if wantSq {
		H2 = mat.NewSymDense(d, nil)
	}
	e := make([]float64, d)
	for k := 0; k < d; k++ {
		if err := p.canceled(); err != nil {
			return nil, nil, err
		}
		e[k] = 1
		R, err := m.PerSampleHVP(p.X, p.Labels, p.Loss, p.Block, e)
		e[k] = 0
		if err != nil {
			return nil, nil, fmt.Errorf("curv: per-sample HVP: %w", err)
		}
		Hd.SetCol(k, meanRows(R))
		if wantSq {
			linalg.SymRankK(H2, 1/float64(n), R, 1)
		}
		if progress != nil {
			progress(k+1, d)
		}
	}
	return symFromDense(Hd), H2, nil
}

// symFromDense returns (A + A^T)/2.
func symFromDense(a *mat.Dense) *mat.SymDense {
	d, _ := a.Dims()
	s := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			s.SetSym(i, j, 0.5*(a.At(i, j)+a.At(j, i)))
		}
	}
	return s
}

// perSampleHessiansGeneral returns the dense h_p of the samples idx from D exact HVPs on
// those samples only.
func (p *Problem) perSampleHessiansGeneral(idx []int) ([]*mat.SymDense, error) {
	d, err := p.Model.BlockSize(p.Block)
	if err != nil {
		return nil, err
	}
	if err := p.Budget.check(fmt.Sprintf("%d per-sample Hessians (%d x %d)", len(idx), d, d), 2*float64(len(idx))*float64(d)*float64(d), ""); err != nil {
		return nil, err
	}
	_, c := p.X.Dims()
	xs := mat.NewDense(len(idx), c, nil)
	ls := make([]int, len(idx))
	for r, i := range idx {
		xs.SetRow(r, p.X.RawRowView(i))
		ls[r] = p.Labels[i]
	}
	m := p.Model.Clone()
	cols := make([]*mat.Dense, len(idx))
	for r := range cols {
		cols[r] = mat.NewDense(d, d, nil)
	}
	e := make([]float64, d)
	for k := 0; k < d; k++ {
		e[k] = 1
		R, err := m.PerSampleHVP(xs, ls, p.Loss, p.Block, e)
		e[k] = 0
		if err != nil {
			return nil, fmt.Errorf("curv: per-sample HVP: %w", err)
		}
		for r := range idx {
			cols[r].SetCol(k, rowOf(R, r))
		}
	}
	out := make([]*mat.SymDense, len(idx))
	for r := range idx {
		out[r] = symFromDense(cols[r])
	}
	return out, nil
}

// ggnGeneral computes (1/N) sum_p J_p^T S_p J_p with S_p = Q_p (GGN) or the true-Fisher logit
// factor sum_c p_c r_c r_c^T, with J_p from per-sample gradients of the unit "losses" z_c.
// Chunked over samples.
func (p *Problem) ggnGeneral(fisher bool) (*mat.SymDense, error) {
	d, err := p.Model.BlockSize(p.Block)
	if err != nil {
		return nil, err
	}
	n, C := p.N(), p.Model.Classes()
	chunk := max(1, min(p.chunk(), n, (64<<20)/max(1, 2*C*d)))
	if err := p.Budget.check(fmt.Sprintf("Gauss-Newton/Fisher by per-sample Jacobians (%d x %d)", d, d),
		2*float64(d)*float64(d)+float64(chunk)*float64(C)*float64(3*d), ""); err != nil {
		return nil, err
	}
	m := p.Model.Clone()
	acc := mat.NewDense(d, d, nil)
	S := make([]float64, C*C)
	for s := 0; s < n; s += chunk {
		if err := p.canceled(); err != nil {
			return nil, err
		}
		e := min(n, s+chunk)
		xc, lc := p.sub(s, e)
		rows := e - s
		Js := make([]*mat.Dense, C)
		for c := 0; c < C; c++ {
			if Js[c], err = m.PerSampleGrads(xc, lc, unitLoss{c}, p.Block); err != nil {
				return nil, fmt.Errorf("curv: per-sample Jacobians: %w", err)
			}
		}
		logits := m.Forward(xc)
		J := mat.NewDense(rows*C, d, nil)
		T := mat.NewDense(rows*C, d, nil)
		var R []*mat.Dense
		if fisher {
			R = make([]*mat.Dense, C)
			lab := make([]int, rows)
			for c := range R {
				for i := range lab {
					lab[i] = c
				}
				_, R[c] = p.Loss.Eval(logits, lab)
			}
		}
		prob := make([]float64, C)
		for r := 0; r < rows; r++ {
			z := rowOf(logits, r)
			if fisher {
				nn.Softmax(prob, z)
				clear(S)
				for c := 0; c < C; c++ {
					rc := rowOf(R[c], r)
					for a := 0; a < C; a++ {
						for b := 0; b < C; b++ {
							S[a*C+b] += prob[c] * rc[a] * rc[b]
						}
					}
				}
			} else {
				p.Loss.LogitHessian(z, lc[r], S)
			}
			for c := 0; c < C; c++ {
				copy(rowOf(J, r*C+c), rowOf(Js[c], r))
			}
			for a := 0; a < C; a++ {
				t := rowOf(T, r*C+a)
				for b := 0; b < C; b++ {
					if v := S[a*C+b]; v != 0 {
						axpy(t, v, rowOf(Js[b], r))
					}
				}
			}
		}
		linalg.MulTA(acc, 1/float64(n), J, T, 1)
	}
	return symFromDense(acc), nil
}

// HessianDiagonals returns H_ii = v_i^T H v_i and [E h^2]_ii = v_i^T E_p[h_p^2] v_i for every
// column v_i of v (D x k; the coordinate basis when v is nil) from one exact per-sample HVP
// pass per direction, on any block and activation:
//
//	r_p = h_p v_i,   H_ii = (1/N) sum_p v_i . r_p,   [E h^2]_ii = (1/N) sum_p |r_p|^2,
//
// the last because h_p is symmetric, so v^T h_p h_p v = |h_p v|^2. It forms no D x D matrix:
// the dense E_p[h_p^2] of the HVP route costs N D^3 flops (a rank-N update per basis vector),
// these diagonals cost k HVP passes over the N samples. On the factorized route DiagonalsIn
// is cheaper still (one gemm); this is the route for smooth activations and joint blocks.
// progress, when not nil, is called after each direction.
func HessianDiagonals(p *Problem, v *mat.Dense, progress func(done, total int)) (h, h2 []float64, err error) {
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	d, err := p.Dim()
	if err != nil {
		return nil, nil, err
	}
	k := d
	if v != nil {
		var r int
		if r, k = v.Dims(); r != d {
			return nil, nil, fmt.Errorf("%w: HessianDiagonals: directions have %d rows, want D = %d", ErrInput, r, d)
		}
	}
	n := p.N()
	m := p.Model.Clone()
	h, h2 = make([]float64, k), make([]float64, k)
	dir := make([]float64, d)
	for i := 0; i < k; i++ {
		if err := p.canceled(); err != nil {
			return nil, nil, err
		}
		if v == nil {
			clear(dir)
			dir[i] = 1
		} else {
			mat.Col(dir, i, v)
		}
		R, err := m.PerSampleHVP(p.X, p.Labels, p.Loss, p.Block, dir)
		if err != nil {
			return nil, nil, fmt.Errorf("curv: per-sample HVP: %w", err)
		}
		for q := 0; q < n; q++ {
			r := rowOf(R, q)
			h[i] += dot(dir, r)
			h2[i] += dot(r, r)
		}
		h[i] /= float64(n)
		h2[i] /= float64(n)
		if progress != nil {
			progress(i+1, k)
		}
	}
	return h, h2, nil
}
