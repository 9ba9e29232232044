package nn

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// PerSampleHVP returns the exact per-sample Hessian-vector products of the block, row p =
// h_p v with h_p = d^2 l_p / dtheta^2 on the block (the other parameters held fixed), by
// forward-over-reverse differentiation (Pearlmutter's R-operator, see the package doc):
//
//  1. forward tangents R{a} from the first block layer on, injecting a V^T (+ v_b) at every
//     block layer;
//  2. R{dl/dz} = Q_p R{z} at the logits;
//  3. backward tangents R{delta}, adding delta V at every block layer;
//  4. R{g_p} = R{delta_p} (x) a_p + delta_p (x) R{a_p} (bias part R{delta_p}).
//
// Layers before the first block layer see a zero tangent and need no R-operator. Every layer
// kind of this package supports it (Dense, ReLU, Tanh, Flatten, Conv2D, MaxPool2, AvgPool);
// a foreign Layer implementation at or after the first block layer gives an error. It
// overwrites m.Acts and leaves Param.Grad unchanged.
func (m *Model) PerSampleHVP(x *mat.Dense, labels []int, loss Loss, b Block, v []float64) (*mat.Dense, error) {
	parts, D, err := m.resolve(b)
	if err != nil {
		return nil, err
	}
	if len(v) != D {
		return nil, fmt.Errorf("nn: PerSampleHVP: v has length %d, block %v has %d parameters", len(v), b.Layers, D)
	}
	if err := m.checkBatch("PerSampleHVP", x, labels); err != nil {
		return nil, err
	}
	L := len(m.Layers)
	k0 := firstIndex(parts)
	tl := make([]tangentLayer, L)
	for i := k0; i < L; i++ {
		t, ok := m.Layers[i].(tangentLayer)
		if !ok {
			return nil, fmt.Errorf("nn: PerSampleHVP: layer %q (%s) after the first block layer %q has no R-operator",
				m.Layers[i].Name(), m.Layers[i].Kind(), m.Layers[k0].Name())
		}
		tl[i] = t
	}
	inBlock := make(map[int]blockPart, len(parts))
	for _, p := range parts {
		inBlock[p.idx] = p
	}
	// vw returns the weight tangent V (Out x In) and bias tangent v_b (nil without bias).
	vw := func(p blockPart) (blas64.General, []float64) {
		nw := p.d.Out * p.d.In
		g := blas64.General{Rows: p.d.Out, Cols: p.d.In, Stride: p.d.In, Data: v[p.off : p.off+nw]}
		if b.Bias {
			return g, v[p.off+nw : p.off+p.n]
		}
		return g, nil
	}

	logits := m.Forward(x)
	n, C := logits.Dims()

	// 1. Forward tangents; R[k0] = 0 is represented by nil.
	R := make([]*mat.Dense, L+1)
	for i := k0; i < L; i++ {
		var r *mat.Dense
		if R[i] != nil {
			r = tl[i].jvp(m.Acts[i], m.Acts[i+1], R[i])
		}
		if p, ok := inBlock[i]; ok {
			// R{z} += a V^T + 1 v_b^T.
			if r == nil {
				r = mat.NewDense(n, p.d.Out, nil)
			}
			g, vb := vw(p)
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, m.Acts[i].RawMatrix(), g, 1, r.RawMatrix())
			if vb != nil {
				addRowVector(r, vb)
			}
		}
		R[i+1] = r
	}

	// 2. Loss: G_p = dl_p/dz_p and R{G_p} = Q_p R{z_p}.
	_, G := loss.Eval(logits, labels)
	RG := mat.NewDense(n, C, nil)
	q := make([]float64, C*C)
	for s := 0; s < n; s++ {
		loss.LogitHessian(row(logits, s), labels[s], q)
		rz, out := row(R[L], s), row(RG, s)
		for a := 0; a < C; a++ {
			var sum float64
			for c, rc := range rz {
				sum += q[a*C+c] * rc
			}
			out[a] = sum
		}
	}

	// 3. Backward pass and its tangent, down to the input of the first block layer's
	// successor (delta of the first block layer is dIn[k0+1]).
	dIn := m.backward(G, false, k0+1, true)
	RdIn := make([]*mat.Dense, L+1)
	RdIn[L] = RG
	for i := L - 1; i > k0; i-- {
		r := tl[i].rBackward(m.Acts[i], m.Acts[i+1], dIn[i+1], R[i], R[i+1], RdIn[i+1])
		if p, ok := inBlock[i]; ok {
			// dX = dZ W, so R{dX} = R{dZ} W + dZ V.
			g, _ := vw(p)
			blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, dIn[i+1].RawMatrix(), g, 1, r.RawMatrix())
		}
		RdIn[i] = r
	}

	// 4. Assemble R{g_p} = R{delta_p} (x) a_p + delta_p (x) R{a_p}.
	out := mat.NewDense(n, D, nil)
	for _, p := range parts {
		a, ra := m.Acts[p.idx], R[p.idx]
		delta, rdelta := dIn[p.idx+1], RdIn[p.idx+1]
		in := p.d.In
		for s := 0; s < n; s++ {
			dst := row(out, s)[p.off:]
			outerInto(dst, row(rdelta, s), row(a, s), b.Bias)
			if ra == nil {
				continue
			}
			ras := row(ra, s)
			for i, di := range row(delta, s) {
				r := dst[i*in : (i+1)*in]
				for j, aj := range ras {
					r[j] += di * aj
				}
			}
		}
	}
	return out, nil
}
