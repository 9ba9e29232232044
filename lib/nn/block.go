package nn

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Block selects the parameters on which curvature is measured: the weights of one or more
// Dense layers, plus their biases if Bias. Its vector layout is the concatenation over Layers,
// in the given order, of [W row-major (Out x In), then b if Bias]. For one bias-free Dense
// layer the per-sample gradient is g_p = delta_p (x) a_p, g[i*In+j] = delta_i a_j.
type Block struct {
	Layers []string `json:"layers"`
	Bias   bool     `json:"bias"`
}

// blockPart is one layer of a resolved block.
type blockPart struct {
	idx int    // layer index in the model
	d   *Dense // the layer
	off int    // offset of its W in the block vector; b follows at off + Out*In
	n   int    // its number of block parameters
}

// resolve checks the block against the model and returns its parts (in block order) and
// total size.
func (m *Model) resolve(b Block) ([]blockPart, int, error) {
	if len(b.Layers) == 0 {
		return nil, 0, fmt.Errorf("nn: block has no layers")
	}
	parts := make([]blockPart, 0, len(b.Layers))
	seen := map[string]bool{}
	off := 0
	for _, name := range b.Layers {
		if seen[name] {
			return nil, 0, fmt.Errorf("nn: block lists layer %q twice", name)
		}
		seen[name] = true
		i, err := m.LayerIndex(name)
		if err != nil {
			return nil, 0, fmt.Errorf("nn: block: %w", err)
		}
		d, ok := m.Layers[i].(*Dense)
		if !ok {
			return nil, 0, fmt.Errorf("nn: block layer %q is %s; blocks hold dense layers only", name, m.Layers[i].Kind())
		}
		n := d.Out * d.In
		if b.Bias {
			if d.B == nil {
				return nil, 0, fmt.Errorf("nn: block asks for biases but dense layer %q has no bias", name)
			}
			n += d.Out
		}
		parts = append(parts, blockPart{idx: i, d: d, off: off, n: n})
		off += n
	}
	return parts, off, nil
}

// BlockSize is the number of parameters in the block.
func (m *Model) BlockSize(b Block) (int, error) {
	_, n, err := m.resolve(b)
	return n, err
}

// BlockVector returns a copy of the block's parameters in block layout.
func (m *Model) BlockVector(b Block) ([]float64, error) {
	parts, n, err := m.resolve(b)
	if err != nil {
		return nil, err
	}
	v := make([]float64, n)
	for _, p := range parts {
		copy(v[p.off:], p.d.W.Value)
		if b.Bias {
			copy(v[p.off+len(p.d.W.Value):], p.d.B.Value)
		}
	}
	return v, nil
}

// SetBlockVector overwrites the block's parameters with v (block layout).
func (m *Model) SetBlockVector(b Block, v []float64) error {
	parts, n, err := m.resolve(b)
	if err != nil {
		return err
	}
	if len(v) != n {
		return fmt.Errorf("nn: SetBlockVector: vector has length %d, block %v has %d parameters", len(v), b.Layers, n)
	}
	for _, p := range parts {
		nw := len(p.d.W.Value)
		copy(p.d.W.Value, v[p.off:p.off+nw])
		if b.Bias {
			copy(p.d.B.Value, v[p.off+nw:p.off+p.n])
		}
	}
	return nil
}

// checkBatch validates a batch and its labels against the model.
func (m *Model) checkBatch(what string, x *mat.Dense, labels []int) error {
	n, c := x.Dims()
	if c != m.Spec.In.Size() {
		return fmt.Errorf("nn: %s: x has %d columns, want %d (input shape %v)", what, c, m.Spec.In.Size(), m.Spec.In)
	}
	if len(labels) != n {
		return fmt.Errorf("nn: %s: %d labels for %d samples", what, len(labels), n)
	}
	k := m.Classes()
	for i, y := range labels {
		if y < 0 || y >= k {
			return fmt.Errorf("nn: %s: label %d of sample %d out of range [0,%d)", what, y, i, k)
		}
	}
	return nil
}

// firstIndex is the smallest model index among the parts.
func firstIndex(parts []blockPart) int {
	k0 := parts[0].idx
	for _, p := range parts[1:] {
		k0 = min(k0, p.idx)
	}
	return k0
}

// PerSampleGrads returns the exact per-sample gradients g_p = dl_p/dtheta of the block, one
// row per sample (N x BlockSize), from one batched forward and backward pass: for a Dense
// layer k, g_p = delta_p (x) a_p (delta_p = dl_p/dz_p of the layer, a_p its input), and the
// bias part is delta_p. Only layers from the first block layer on are backpropagated.
// It overwrites m.Acts and leaves Param.Grad unchanged.
func (m *Model) PerSampleGrads(x *mat.Dense, labels []int, loss Loss, b Block) (*mat.Dense, error) {
	parts, D, err := m.resolve(b)
	if err != nil {
		return nil, err
	}
	if err := m.checkBatch("PerSampleGrads", x, labels); err != nil {
		return nil, err
	}
	logits := m.Forward(x)
	_, G := loss.Eval(logits, labels)
	dIn := m.backward(G, false, firstIndex(parts)+1, true)
	n, _ := x.Dims()
	out := mat.NewDense(n, D, nil)
	for _, p := range parts {
		a, delta := m.Acts[p.idx], dIn[p.idx+1]
		for s := 0; s < n; s++ {
			outerInto(row(out, s)[p.off:], row(delta, s), row(a, s), b.Bias)
		}
	}
	return out, nil
}

// outerInto writes the Dense block gradient d (x) a (and d for the bias when bias) into dst.
func outerInto(dst, d, a []float64, bias bool) {
	in := len(a)
	for i, di := range d {
		r := dst[i*in : (i+1)*in]
		for j, aj := range a {
			r[j] = di * aj
		}
	}
	if bias {
		copy(dst[len(d)*in:], d)
	}
}
