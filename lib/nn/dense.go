package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Dense is a fully connected layer z = W a (+ b) applied to each row: for a batch X (n x In),
// Z = X W^T (+ 1 b^T). It accepts any input shape and uses its In = C*H*W features (an implicit
// flatten). W.Value[i*In+j] = W_ij (row-major Out x In, the PyTorch layout); B is nil without
// bias.
type Dense struct {
	In, Out int
	W, B    *Param

	name    string
	inShape Shape
}

func newDenseLayer(name string, in Shape, out int, bias bool) *Dense {
	d := &Dense{In: in.Size(), Out: out, name: name, inShape: in}
	d.W = newParam(name+".weight", out, d.In)
	if bias {
		d.B = newParam(name+".bias", out)
	}
	return d
}

func (d *Dense) Name() string    { return d.name }
func (d *Dense) Kind() string    { return KindDense }
func (d *Dense) InShape() Shape  { return d.inShape }
func (d *Dense) OutShape() Shape { return Shape{d.Out, 1, 1} }
func (d *Dense) Params() []*Param {
	if d.B == nil {
		return []*Param{d.W}
	}
	return []*Param{d.W, d.B}
}

// general returns a BLAS view of an Out x In row-major slice.
func (d *Dense) general(v []float64) blas64.General {
	return blas64.General{Rows: d.Out, Cols: d.In, Stride: d.In, Data: v}
}

// Forward computes Y = X W^T (+ 1 b^T).
func (d *Dense) Forward(x *mat.Dense) *mat.Dense {
	n := checkCols(d, "input", x, d.In)
	y := mat.NewDense(n, d.Out, nil)
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, x.RawMatrix(), d.general(d.W.Value), 0, y.RawMatrix())
	if d.B != nil {
		addRowVector(y, d.B.Value)
	}
	return y
}

// Backward: dX = dY W, dW += dY^T X, db += 1^T dY.
func (d *Dense) Backward(x, y, dy *mat.Dense, accumulate bool) *mat.Dense {
	return d.backward(x, y, dy, accumulate, true)
}

func (d *Dense) backward(x, _, dy *mat.Dense, accumulate, needDx bool) *mat.Dense {
	n := checkCols(d, "input", x, d.In)
	if m := checkCols(d, "output gradient", dy, d.Out); m != n {
		panic("nn: layer " + d.name + ": input and output gradient have different batch sizes")
	}
	if accumulate {
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, dy.RawMatrix(), x.RawMatrix(), 1, d.general(d.W.Grad))
		if d.B != nil {
			addColumnSums(d.B.Grad, dy)
		}
	}
	if !needDx {
		return nil
	}
	dx := mat.NewDense(n, d.In, nil)
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, dy.RawMatrix(), d.general(d.W.Value), 0, dx.RawMatrix())
	return dx
}

// jvp: with W fixed the layer is linear in its input, R{Z} = R{X} W^T.
func (d *Dense) jvp(_, _, rx *mat.Dense) *mat.Dense {
	n := checkCols(d, "input tangent", rx, d.In)
	ry := mat.NewDense(n, d.Out, nil)
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, rx.RawMatrix(), d.general(d.W.Value), 0, ry.RawMatrix())
	return ry
}

// rBackward: dX = dY W is linear in dY, so R{dX} = R{dY} W (the dY V term of a block layer is
// added by the caller).
func (d *Dense) rBackward(x, y, _, _, _, rdy *mat.Dense) *mat.Dense {
	return d.backward(x, y, rdy, false, true)
}

// addRowVector adds b to every row of m.
func addRowVector(m *mat.Dense, b []float64) {
	r, _ := m.Dims()
	for i := 0; i < r; i++ {
		ri := row(m, i)
		for j, v := range b {
			ri[j] += v
		}
	}
}

// addColumnSums adds the column sums of m to dst.
func addColumnSums(dst []float64, m *mat.Dense) {
	r, _ := m.Dims()
	for i := 0; i < r; i++ {
		for j, v := range row(m, i) {
			dst[j] += v
		}
	}
}
