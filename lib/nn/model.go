package nn

import (
	"fmt"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Model is a sequential network built from a Spec. It is not safe for concurrent use; Clone
// it for each goroutine.
type Model struct {
	// Spec is the resolved architecture (default names filled in).
	Spec   Spec
	Layers []Layer
	// Acts holds the activations of the last Forward: Acts[i] is the input of layer i
	// (n x ...), Acts[len(Layers)] the logits. Acts[0] is the caller's x itself.
	Acts []*mat.Dense
}

// Forward runs the batch x (one row per sample, Spec.In.Size() columns) through the network,
// stores every layer input in Acts and returns the logits. Outputs are freshly allocated, so
// earlier results stay valid.
func (m *Model) Forward(x *mat.Dense) *mat.Dense {
	if _, c := x.Dims(); c != m.Spec.In.Size() {
		panic(fmt.Sprintf("nn: Model.Forward: input has %d columns, want %d (shape %v)", c, m.Spec.In.Size(), m.Spec.In))
	}
	if len(m.Acts) != len(m.Layers)+1 {
		m.Acts = make([]*mat.Dense, len(m.Layers)+1)
	}
	m.Acts[0] = x
	for i, l := range m.Layers {
		m.Acts[i+1] = l.Forward(m.Acts[i])
	}
	return m.Acts[len(m.Layers)]
}

// Backward backpropagates dlogits = dL/dlogits (n x classes) through the activations stored
// by the last Forward. It returns dIn with dIn[i] = dL/d(input of layer i) for i in
// 0..len(Layers), dIn[len(Layers)] = dlogits; so for a Dense layer k, a_p = Acts[k] row p and
// delta_p = dIn[k+1] row p. When accumulate is true, parameter gradients (sums over the batch)
// are ADDED to Param.Grad.
func (m *Model) Backward(dlogits *mat.Dense, accumulate bool) []*mat.Dense {
	return m.backward(dlogits, accumulate, 0, true)
}

// BackwardParams adds the parameter gradients of dlogits to Param.Grad like
// Backward(dlogits, true) but skips the input gradients that no parameter needs (in particular
// dL/dx of the first layer, a third of the first layer's work). Use it for training.
func (m *Model) BackwardParams(dlogits *mat.Dense) {
	first := len(m.Layers)
	for i, l := range m.Layers {
		if len(l.Params()) > 0 {
			first = i
			break
		}
	}
	m.backward(dlogits, true, first, false)
}

// backward fills dIn[i] for i >= stop. When needStopDx is false the layer at index stop only
// accumulates its parameter gradients and dIn[stop] stays nil.
func (m *Model) backward(dlogits *mat.Dense, accumulate bool, stop int, needStopDx bool) []*mat.Dense {
	L := len(m.Layers)
	if len(m.Acts) != L+1 || m.Acts[L] == nil {
		panic("nn: Model.Backward called before Forward")
	}
	if r, c := dlogits.Dims(); !sameDims(dlogits, m.Acts[L]) {
		lr, lc := m.Acts[L].Dims()
		panic(fmt.Sprintf("nn: Model.Backward: dlogits is %dx%d, logits of the last Forward are %dx%d", r, c, lr, lc))
	}
	dIn := make([]*mat.Dense, L+1)
	dIn[L] = dlogits
	for i := L - 1; i >= stop; i-- {
		l := m.Layers[i]
		if i == stop && !needStopDx {
			if pb, ok := l.(paramBackwarder); ok {
				pb.backward(m.Acts[i], m.Acts[i+1], dIn[i+1], accumulate, false)
				break
			}
		}
		dIn[i] = l.Backward(m.Acts[i], m.Acts[i+1], dIn[i+1], accumulate)
	}
	return dIn
}

func sameDims(a, b *mat.Dense) bool {
	ra, ca := a.Dims()
	rb, cb := b.Dims()
	return ra == rb && ca == cb
}

// Params returns all parameters in layer order (weight before bias).
func (m *Model) Params() []*Param {
	var ps []*Param
	for _, l := range m.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// NumParams is the total number of scalar parameters.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.Params() {
		n += len(p.Value)
	}
	return n
}

// ZeroGrad sets every Param.Grad to zero.
func (m *Model) ZeroGrad() {
	for _, p := range m.Params() {
		clear(p.Grad)
	}
}

// LayerIndex returns the position of the layer called name; the error lists the valid names.
func (m *Model) LayerIndex(name string) (int, error) {
	for i, l := range m.Layers {
		if l.Name() == name {
			return i, nil
		}
	}
	names := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		names[i] = l.Name()
	}
	return -1, fmt.Errorf("nn: no layer named %q (valid: %s)", name, strings.Join(names, ", "))
}

// Layer returns the layer called name.
func (m *Model) Layer(name string) (Layer, error) {
	i, err := m.LayerIndex(name)
	if err != nil {
		return nil, err
	}
	return m.Layers[i], nil
}

// Clone returns a deep copy of the model's architecture, parameter values and gradients
// (not the activations).
func (m *Model) Clone() *Model {
	c, err := build(m.Spec)
	if err != nil {
		panic("nn: Clone: " + err.Error()) // m.Spec was validated when m was built
	}
	src, dst := m.Params(), c.Params()
	for i := range src {
		copy(dst[i].Value, src[i].Value)
		copy(dst[i].Grad, src[i].Grad)
	}
	return c
}

// Classes is the number of logits (the output size of the last layer).
func (m *Model) Classes() int {
	return m.Layers[len(m.Layers)-1].OutShape().Size()
}
