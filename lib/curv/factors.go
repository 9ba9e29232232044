package curv

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/linalg"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// Factors are the per-sample Kronecker factors of ONE dense layer z = W a (+ b), collected in
// one forward pass and Classes+1 backward passes over the data (docs/science.md, "Structure that
// makes exact computation cheap"):
//
//	g_p = delta_p (x) a~_p,                   delta_p = dl_p/dz_p = B_p^T G_p
//	J_p = B_p (x) a~_p^T,                     B_p = dz_logits/dz (Classes x Dout)
//	h_p = M_p (x) a~_p a~_p^T, M_p = B_p^T Q_p B_p   (exact when PiecewiseLinear)
//
// where a~_p = a_p, or [a_p; 1] when the block includes the bias. Internally the block vector
// is the row-major Dout x In matrix [W | b] (index i*In+j, In = Din or Din+1); every exported
// result is returned in nn's block layout ([W row-major, then b]).
type Factors struct {
	Layer string // target layer name
	Index int    // its index in Model.Layers
	Bias  bool   // the block includes the bias (a~ = [a; 1])

	N, Din, Dout, Classes int
	In                    int // columns of A: Din, or Din+1 with bias
	D                     int // block size Dout*In

	A      *mat.Dense // N x In: a~_p per row
	Delta  *mat.Dense // N x Dout: delta_p per row
	Jac    *mat.Dense // N x (Classes*Dout): B_p row-major per row
	Q      *mat.Dense // N x Classes^2: Q_p = d^2 l_p/dz^2 per row
	Logits *mat.Dense // N x Classes
	Probs  *mat.Dense // N x Classes: softmax(logits), the model's label distribution
	G      *mat.Dense // N x Classes: dl_p/dlogits
	Losses []float64  // l_p

	// PiecewiseLinear reports whether every layer after the target is piecewise linear
	// (dense, conv2d, relu, maxpool2, avgpool, flatten), so that h_p factorizes exactly.
	// Reason says why not.
	PiecewiseLinear bool
	Reason          string

	loss   nn.Loss
	labels []int
	qf     *mat.Dense // lazily: true-Fisher logit factor sum_c p_c r_c r_c^T (N x Classes^2)
	s2     *mat.Dense // lazily: |a~|^2 Q B B^T Q for h_p^2 (N x Classes^2)
	grad   []float64  // lazily: full gradient g (internal layout)
}

// piecewiseLinearKinds are the layer kinds through which logits stay piecewise linear in z.
var piecewiseLinearKinds = map[string]bool{
	nn.KindDense: true, nn.KindConv2D: true, nn.KindReLU: true, nn.KindMaxPool: true,
	nn.KindAvgPool: true, nn.KindFlatten: true,
}

// factorRows is the number of samples per forward/backward pass when collecting factors:
// about 32M floats of activations per pass, at most 8192 samples.
func factorRows(m *nn.Model) int {
	per := m.Spec.In.Size()
	for _, l := range m.Layers {
		per += l.OutShape().Size()
	}
	r := (32 << 20) / max(per, 1)
	return max(1, min(r, 8192))
}

// NewFactors collects the Kronecker factors of the block, which must be a single dense
// layer (otherwise the error wraps ErrNotFactorizable). The model is not modified.
func NewFactors(model *nn.Model, loss nn.Loss, x *mat.Dense, labels []int, block nn.Block) (*Factors, error) {
	if len(block.Layers) != 1 {
		return nil, fmt.Errorf("%w: block %v spans %d layers; joint blocks need Method HVP", ErrNotFactorizable, block.Layers, len(block.Layers))
	}
	name := block.Layers[0]
	k, err := model.LayerIndex(name)
	if err != nil {
		return nil, fmt.Errorf("%w: Block: %w", ErrInput, err)
	}
	dl, ok := model.Layers[k].(*nn.Dense)
	if !ok {
		return nil, fmt.Errorf("%w: block layer %q is a %s layer, the factorization needs a dense layer", ErrNotFactorizable, name, model.Layers[k].Kind())
	}
	if block.Bias && dl.B == nil {
		return nil, fmt.Errorf("%w: Block.Bias is set but dense layer %q has no bias", ErrInput, name)
	}
	n, _ := x.Dims()
	if n == 0 {
		return nil, fmt.Errorf("%w: no samples (empty subset?)", ErrInput)
	}
	if len(labels) != n {
		return nil, fmt.Errorf("%w: %d labels for %d samples", ErrInput, len(labels), n)
	}
	f := &Factors{
		Layer: name, Index: k, Bias: block.Bias,
		N: n, Din: dl.In, Dout: dl.Out, Classes: model.Classes(),
		PiecewiseLinear: true, loss: loss, labels: labels,
	}
	f.In = f.Din
	if f.Bias {
		f.In++
	}
	f.D = f.Dout * f.In
	for _, l := range model.Layers[k+1:] {
		if !piecewiseLinearKinds[l.Kind()] {
			f.PiecewiseLinear = false
			f.Reason = fmt.Sprintf("layer %s (%s) after %s is not piecewise linear, so h_p has a residual term and does not factorize", l.Name(), l.Kind(), name)
			break
		}
	}
	C, dout, in := f.Classes, f.Dout, f.In
	f.A = mat.NewDense(n, in, nil)
	f.Delta = mat.NewDense(n, dout, nil)
	f.Jac = mat.NewDense(n, C*dout, nil)
	f.Q = mat.NewDense(n, C*C, nil)
	f.Logits = mat.NewDense(n, C, nil)
	f.Probs = mat.NewDense(n, C, nil)
	f.G = mat.NewDense(n, C, nil)
	f.Losses = make([]float64, n)

	m := model.Clone()
	rows := factorRows(m)
	for s := 0; s < n; s += rows {
		e := min(n, s+rows)
		xc := x.Slice(s, e, 0, x.RawMatrix().Cols).(*mat.Dense)
		lc := labels[s:e]
		logits := m.Forward(xc)
		ls, G := loss.Eval(logits, lc)
		copy(f.Losses[s:e], ls)
		a := m.Acts[k]
		for p := s; p < e; p++ {
			ar := rowOf(f.A, p)
			copy(ar, rowOf(a, p-s))
			if f.Bias {
				ar[f.Din] = 1
			}
			copy(rowOf(f.Logits, p), rowOf(logits, p-s))
			copy(rowOf(f.G, p), rowOf(G, p-s))
			nn.Softmax(rowOf(f.Probs, p), rowOf(logits, p-s))
			loss.LogitHessian(rowOf(logits, p-s), lc[p-s], rowOf(f.Q, p))
		}
		d := backwardTo(m, G, k+1)
		for p := s; p < e; p++ {
			copy(rowOf(f.Delta, p), rowOf(d, p-s))
		}
		unit := mat.NewDense(e-s, C, nil)
		for c := 0; c < C; c++ {
			unit.Zero()
			for p := 0; p < e-s; p++ {
				unit.Set(p, c, 1)
			}
			b := backwardTo(m, unit, k+1)
			for p := s; p < e; p++ {
				copy(rowOf(f.Jac, p)[c*dout:(c+1)*dout], rowOf(b, p-s))
			}
		}
	}
	return f, nil
}

// backwardTo backpropagates d (dL/dlogits) through the layers after index stop-1 of the last
// Forward and returns dL/d(input of layer stop), i.e. dL/dz of layer stop-1.
func backwardTo(m *nn.Model, d *mat.Dense, stop int) *mat.Dense {
	for i := len(m.Layers) - 1; i >= stop; i-- {
		d = m.Layers[i].Backward(m.Acts[i], m.Acts[i+1], d, false)
	}
	return d
}

func rowOf(m *mat.Dense, i int) []float64 {
	r := m.RawMatrix()
	return r.Data[i*r.Stride : i*r.Stride+r.Cols]
}

// ----- layout between the internal [W | b] matrix and nn's block vector -----

// extIndex maps internal index i*In+j to nn's block layout.
func (f *Factors) extIndex(i, j int) int {
	if !f.Bias {
		return i*f.Din + j
	}
	if j == f.Din {
		return f.Dout*f.Din + i
	}
	return i*f.Din + j
}

// toExt converts an internal vector to block layout (dst may be nil).
func (f *Factors) toExt(dst, v []float64) []float64 { return f.relayout(dst, v, true) }

// toInt converts a block-layout vector to the internal layout (dst may be nil).
func (f *Factors) toInt(dst, v []float64) []float64 { return f.relayout(dst, v, false) }

// relayout copies v into dst (allocated when nil), moving each entry from internal index
// i*In+j to extIndex(i, j) when toExt and back otherwise. Without a bias the layouts agree.
func (f *Factors) relayout(dst, v []float64, toExt bool) []float64 {
	if dst == nil {
		dst = make([]float64, f.D)
	}
	if !f.Bias {
		copy(dst, v)
		return dst
	}
	for i := 0; i < f.Dout; i++ {
		for j := 0; j < f.In; j++ {
			if in, ext := i*f.In+j, f.extIndex(i, j); toExt {
				dst[ext] = v[in]
			} else {
				dst[in] = v[ext]
			}
		}
	}
	return dst
}

// symToExt permutes an internal symmetric matrix into block layout (in place when no bias).
func (f *Factors) symToExt(s *mat.SymDense) *mat.SymDense {
	if !f.Bias {
		return s
	}
	perm := make([]int, f.D)
	for i := 0; i < f.Dout; i++ {
		for j := 0; j < f.In; j++ {
			perm[i*f.In+j] = f.extIndex(i, j)
		}
	}
	out := mat.NewSymDense(f.D, nil)
	sr, or := s.RawSymmetric(), out.RawSymmetric()
	for I := 0; I < f.D; I++ {
		for J := I; J < f.D; J++ {
			a, b := perm[I], perm[J]
			if a > b {
				a, b = b, a
			}
			or.Data[a*or.Stride+b] = sr.Data[I*sr.Stride+J]
		}
	}
	return out
}

// denseToIntRows permutes the rows of a block-layout D x k matrix into the internal layout.
func (f *Factors) denseToIntRows(m *mat.Dense) *mat.Dense {
	if !f.Bias {
		return m
	}
	_, k := m.Dims()
	out := mat.NewDense(f.D, k, nil)
	for i := 0; i < f.Dout; i++ {
		for j := 0; j < f.In; j++ {
			copy(rowOf(out, i*f.In+j), rowOf(m, f.extIndex(i, j)))
		}
	}
	return out
}

// ----- gradients -----

// gradInt returns the full gradient g = (1/N) sum_p delta_p (x) a~_p = vec(Delta^T A)/N in
// the internal layout.
func (f *Factors) gradInt() []float64 {
	if f.grad == nil {
		g := mat.NewDense(f.Dout, f.In, nil)
		linalg.MulTA(g, 1/float64(f.N), f.Delta, f.A, 0)
		f.grad = append([]float64(nil), g.RawMatrix().Data...)
	}
	return f.grad
}

// Gradient returns the full gradient g = E_p[g_p] in block layout.
func (f *Factors) Gradient() []float64 { return f.toExt(nil, f.gradInt()) }

// PerSampleGrads returns g_p = delta_p (x) a~_p for every sample (N x D, block layout).
func (f *Factors) PerSampleGrads(b Budget) (*mat.Dense, error) {
	if err := b.check(fmt.Sprintf("per-sample gradients (%d x %d)", f.N, f.D), float64(f.N)*float64(f.D),
		"use Gradient, the covariance functions or the operators, which never form them"); err != nil {
		return nil, err
	}
	g := mat.NewDense(f.N, f.D, nil)
	for p := 0; p < f.N; p++ {
		r, d, a := rowOf(g, p), rowOf(f.Delta, p), rowOf(f.A, p)
		for i, di := range d {
			for j, aj := range a {
				r[f.extIndex(i, j)] = di * aj
			}
		}
	}
	return g, nil
}

// ----- low-rank output-space factors: M_p = U_p^T S_p U_p -----

// kfac represents per-sample output-space matrices M_p = U_p^T S_p U_p (Dout x Dout) with U_p
// the r x Dout row p of U and S_p the r x r row p of S (S nil means S_p = identity).
type kfac struct {
	U *mat.Dense
	S *mat.Dense
	r int
}

func (f *Factors) hessFac() kfac { return kfac{U: f.Jac, S: f.Q, r: f.Classes} }
func (f *Factors) efFac() kfac   { return kfac{U: f.Delta, r: 1} }

// fisherFac is the true Fisher with labels drawn from the model: for label c the logit
// gradient is r_c = dl/dz(c), so F_p = J_p^T (sum_c p_c r_c r_c^T) J_p.
func (f *Factors) fisherFac() kfac {
	if f.qf == nil {
		C := f.Classes
		f.qf = mat.NewDense(f.N, C*C, nil)
		lab := make([]int, f.N)
		for c := 0; c < C; c++ {
			for p := range lab {
				lab[p] = c
			}
			_, R := f.loss.Eval(f.Logits, lab)
			for p := 0; p < f.N; p++ {
				q, r, pc := rowOf(f.qf, p), rowOf(R, p), f.Probs.At(p, c)
				for a := 0; a < C; a++ {
					for b := 0; b < C; b++ {
						q[a*C+b] += pc * r[a] * r[b]
					}
				}
			}
		}
	}
	return kfac{U: f.Jac, S: f.qf, r: f.Classes}
}

// h2Fac gives h_p^2 = M_p^2 (x) |a~|^2 a~ a~^T with M_p^2 = B^T (|a~|^2 Q B B^T Q) B, folding
// |a~_p|^2 into S so that the input side stays a~ a~^T.
func (f *Factors) h2Fac() kfac {
	if f.s2 == nil {
		C, dout := f.Classes, f.Dout
		f.s2 = mat.NewDense(f.N, C*C, nil)
		bbt := make([]float64, C*C)
		t := make([]float64, C*C)
		for p := 0; p < f.N; p++ {
			B, Q := rowOf(f.Jac, p), rowOf(f.Q, p)
			for a := 0; a < C; a++ {
				for b := a; b < C; b++ {
					v := dot(B[a*dout:(a+1)*dout], B[b*dout:(b+1)*dout])
					bbt[a*C+b], bbt[b*C+a] = v, v
				}
			}
			matMulSq(t, Q, bbt, C)
			s := rowOf(f.s2, p)
			matMulSq(s, t, Q, C)
			a2 := dot(rowOf(f.A, p), rowOf(f.A, p))
			for i := range s {
				s[i] *= a2
			}
			symmetrize(s, C)
		}
	}
	return kfac{U: f.Jac, S: f.s2, r: f.Classes}
}

// su returns U_p and T = S_p U_p (both r x dout, row-major), T computed in tmp (len r*dout);
// when S is the identity (nil), T is U_p itself.
func (k kfac) su(p, dout int, tmp []float64) (U, T []float64) {
	U = rowOf(k.U, p)
	if k.S == nil {
		return U, U
	}
	S, r := rowOf(k.S, p), k.r
	T = tmp[:r*dout]
	clear(T)
	for a := 0; a < r; a++ {
		ta := T[a*dout : (a+1)*dout]
		for b := 0; b < r; b++ {
			if s := S[a*r+b]; s != 0 {
				axpy(ta, s, U[b*dout:(b+1)*dout])
			}
		}
	}
	return U, T
}

// fillM writes M_p = U_p^T S_p U_p (Dout x Dout, full, row-major) into m, using tmp (len r*Dout).
func (k kfac) fillM(p, dout int, m, tmp []float64) {
	U, T := k.su(p, dout, tmp)
	r := k.r
	for i := 0; i < dout; i++ {
		for j := i; j < dout; j++ {
			var s float64
			for a := 0; a < r; a++ {
				s += U[a*dout+i] * T[a*dout+j]
			}
			m[i*dout+j] = s
		}
	}
	for i := 0; i < dout; i++ {
		for j := 0; j < i; j++ {
			m[i*dout+j] = m[j*dout+i]
		}
	}
}

// fillVech writes vech(M_p), the row-major upper triangle of M_p = U_p^T S_p U_p
// (Dout(Dout+1)/2 entries), into u, using tmp (len r*Dout). Same sums in the same order as
// fillM; columns of U_p that are zero (inactive ReLU units downstream) are skipped.
func (k kfac) fillVech(p, dout int, u, tmp []float64) {
	U, T := k.su(p, dout, tmp)
	r := k.r
	u = u[:dout*(dout+1)/2]
	clear(u)
	for a := 0; a < r; a++ {
		ua, ta := U[a*dout:(a+1)*dout], T[a*dout:(a+1)*dout]
		idx := 0
		for i, x := range ua {
			if x != 0 {
				axpy(u[idx:idx+dout-i], x, ta[i:])
			}
			idx += dout - i
		}
	}
}

// quad returns y^T M_p y = (U_p y)^T S_p (U_p y), using t (len r).
func (k kfac) quad(p, dout int, y, t []float64) float64 {
	U := rowOf(k.U, p)
	for a := 0; a < k.r; a++ {
		t[a] = dot(U[a*dout:(a+1)*dout], y)
	}
	if k.S == nil {
		return dot(t[:k.r], t[:k.r])
	}
	S := rowOf(k.S, p)
	var s float64
	for a := 0; a < k.r; a++ {
		s += t[a] * dot(S[a*k.r:(a+1)*k.r], t[:k.r])
	}
	return s
}

// apply writes z = M_p y = U_p^T S_p U_p y into z, using t, t2 (len r).
func (k kfac) apply(p, dout int, z, y, t, t2 []float64) {
	U := rowOf(k.U, p)
	r := k.r
	for a := 0; a < r; a++ {
		t[a] = dot(U[a*dout:(a+1)*dout], y)
	}
	if k.S != nil {
		S := rowOf(k.S, p)
		for a := 0; a < r; a++ {
			t2[a] = dot(S[a*r:(a+1)*r], t[:r])
		}
		t = t2
	}
	clear(z)
	for a := 0; a < r; a++ {
		axpy(z, t[a], U[a*dout:(a+1)*dout])
	}
}

// ----- small dense helpers -----

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func axpy(y []float64, a float64, x []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}

// matMulSq writes c = a b for n x n row-major matrices.
func matMulSq(c, a, b []float64, n int) {
	clear(c[:n*n])
	for i := 0; i < n; i++ {
		ci := c[i*n : (i+1)*n]
		for k := 0; k < n; k++ {
			if v := a[i*n+k]; v != 0 {
				axpy(ci, v, b[k*n:(k+1)*n])
			}
		}
	}
}

func symmetrize(s []float64, n int) {
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			v := 0.5 * (s[i*n+j] + s[j*n+i])
			s[i*n+j], s[j*n+i] = v, v
		}
	}
}
