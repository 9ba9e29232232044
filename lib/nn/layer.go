package nn

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Param is one parameter tensor of a layer together with its gradient accumulator.
type Param struct {
	// Name is "<layer>.weight" or "<layer>.bias".
	Name string
	// Value holds the parameters in row-major order: a Dense weight is Out x In (PyTorch
	// layout, Value[i*In+j] = W_ij), a Conv2D weight OutC x InC x 3 x 3.
	Value []float64
	// Grad has the same length as Value. Backward ADDS the gradient summed over the rows of
	// the batch (no 1/n); ZeroGrad clears it.
	Grad []float64
	// Shape is the tensor shape, e.g. [Out, In] or [OutC, InC, 3, 3].
	Shape []int
}

func newParam(name string, shape ...int) *Param {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return &Param{
		Name:  name,
		Value: make([]float64, n),
		Grad:  make([]float64, n),
		Shape: append([]int(nil), shape...),
	}
}

func (p *Param) clone() *Param {
	if p == nil {
		return nil
	}
	return &Param{
		Name:  p.Name,
		Value: append([]float64(nil), p.Value...),
		Grad:  append([]float64(nil), p.Grad...),
		Shape: append([]int(nil), p.Shape...),
	}
}

// Layer is one stage of a sequential network. Layers are stateless with respect to a batch:
// Backward receives the input and output of the matching Forward call, so one layer value can
// serve any batch. Layers are not safe for concurrent use (some keep scratch buffers); use
// Model.Clone for each goroutine.
type Layer interface {
	// Name is the unique layer name inside its model ("fc1", "conv2", "relu3", ...).
	Name() string
	// Kind is one of "dense", "conv2d", "maxpool2", "avgpool", "flatten", "relu", "tanh".
	Kind() string
	// InShape and OutShape are the per-sample shapes of the layer's input and output.
	InShape() Shape
	OutShape() Shape
	// Params returns the layer's parameters (weight first, then bias), nil if it has none.
	Params() []*Param
	// Forward maps a batch x (n x InShape().Size()) to y (n x OutShape().Size()). The result
	// is newly allocated (Flatten returns x itself), so it stays valid after later calls.
	Forward(x *mat.Dense) *mat.Dense
	// Backward receives the layer's own input x and output y from the forward pass and
	// dy = dL/dy (n x out). It returns dx = dL/dx, and when accumulate is true ADDS the
	// parameter gradients summed over the rows of the batch (no 1/n) into Param.Grad.
	Backward(x, y, dy *mat.Dense, accumulate bool) *mat.Dense
}

// paramFree is what the layers without parameters (pools, flatten, activations) share: the
// per-sample input shape In, the name and the methods that read them. The layer embedding it
// supplies Kind, OutShape and the maps.
type paramFree struct {
	// In is the per-sample shape of the input; Build sets it.
	In   Shape
	name string
}

func (l *paramFree) Name() string     { return l.name }
func (l *paramFree) InShape() Shape   { return l.In }
func (l *paramFree) Params() []*Param { return nil }

// Layer kinds accepted in a LayerSpec.
const (
	KindDense   = "dense"
	KindConv2D  = "conv2d"
	KindMaxPool = "maxpool2"
	KindAvgPool = "avgpool"
	KindFlatten = "flatten"
	KindReLU    = "relu"
	KindTanh    = "tanh"
)

// paramBackwarder is implemented by layers that can skip the input gradient, which saves a
// third of the work of the first layer of a network (Model.BackwardParams).
type paramBackwarder interface {
	backward(x, y, dy *mat.Dense, accumulate, needDx bool) *mat.Dense
}

// tangentLayer is implemented by layers that support forward-over-reverse Hessian-vector
// products with their own parameters held fixed (see doc.go, "R-operator").
type tangentLayer interface {
	// jvp returns R{y} = (dy/dx) R{x} for the batch x -> y.
	jvp(x, y, rx *mat.Dense) *mat.Dense
	// rBackward returns R{dx} given dy = dL/dy, the forward tangents rx = R{x}, ry = R{y}
	// and rdy = R{dy}. For layers that are (piecewise) linear in x this is
	// Backward(x, y, rdy, false); smooth nonlinearities add a second-derivative term.
	rBackward(x, y, dy, rx, ry, rdy *mat.Dense) *mat.Dense
}

// checkCols panics with a clear message when a batch has the wrong number of features. Layer
// methods panic on programming errors, as gonum/mat does.
func checkCols(l Layer, what string, m *mat.Dense, want int) int {
	n, c := m.Dims()
	if c != want {
		panic(fmt.Sprintf("nn: layer %s (%s): %s has %d columns, want %d", l.Name(), l.Kind(), what, c, want))
	}
	return n
}

func checkSame(l Layer, what string, a, b *mat.Dense) {
	ra, ca := a.Dims()
	rb, cb := b.Dims()
	if ra != rb || ca != cb {
		panic(fmt.Sprintf("nn: layer %s (%s): %s is %dx%d, want %dx%d", l.Name(), l.Kind(), what, ra, ca, rb, cb))
	}
}

// row returns the data of row i of m (no copy).
func row(m *mat.Dense, i int) []float64 {
	raw := m.RawMatrix()
	return raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
}
