package nn

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// elementwise is what the activation layers share: a parameter-free layer whose output has
// the shape of its input. The layer embedding it supplies Kind, Forward, Backward and their
// tangent versions.
type elementwise struct{ paramFree }

func (e *elementwise) OutShape() Shape { return e.In }

// mapRows returns a new n x In.Size() matrix whose row s is filled by f(s, out_s), the
// samples in order. The caller has checked the operands f reads.
func (e *elementwise) mapRows(n int, f func(s int, out []float64)) *mat.Dense {
	out := mat.NewDense(n, e.In.Size(), nil)
	for s := range n {
		f(s, row(out, s))
	}
	return out
}

// ReLU is y = max(x, 0) elementwise; its derivative is taken as 0 at x = 0 (PyTorch). Its
// field In, the per-sample shape, is promoted from the embedded paramFree; Build sets it.
type ReLU struct{ elementwise }

func (r *ReLU) Kind() string { return KindReLU }

func (r *ReLU) Forward(x *mat.Dense) *mat.Dense {
	n := checkCols(r, "input", x, r.In.Size())
	return r.mapRows(n, func(s int, ys []float64) {
		for i, v := range row(x, s) {
			if v > 0 {
				ys[i] = v
			}
		}
	})
}

// Backward: dx = dy * 1[x > 0].
func (r *ReLU) Backward(x, _, dy *mat.Dense, _ bool) *mat.Dense { return r.mask(x, dy) }

// mask returns d * 1[x > 0].
func (r *ReLU) mask(x, d *mat.Dense) *mat.Dense {
	n := checkCols(r, "input", x, r.In.Size())
	checkSame(r, "gradient", d, x)
	return r.mapRows(n, func(s int, os []float64) {
		ds := row(d, s)
		for i, v := range row(x, s) {
			if v > 0 {
				os[i] = ds[i]
			}
		}
	})
}

// jvp: R{y} = 1[x > 0] R{x}; rBackward: R{dx} = 1[x > 0] R{dy}, because R{relu'(x)} = 0
// almost everywhere.
func (r *ReLU) jvp(x, _, rx *mat.Dense) *mat.Dense                 { return r.mask(x, rx) }
func (r *ReLU) rBackward(x, _, _, _, _, rdy *mat.Dense) *mat.Dense { return r.mask(x, rdy) }

// Tanh is y = tanh(x) elementwise, with tanh' = 1 - y^2 and tanh” = -2 y (1 - y^2). Its
// field In, the per-sample shape, is promoted from the embedded paramFree; Build sets it.
type Tanh struct{ elementwise }

func (t *Tanh) Kind() string { return KindTanh }

func (t *Tanh) Forward(x *mat.Dense) *mat.Dense {
	n := checkCols(t, "input", x, t.In.Size())
	return t.mapRows(n, func(s int, ys []float64) {
		for i, v := range row(x, s) {
			ys[i] = math.Tanh(v)
		}
	})
}

// Backward: dx = dy (1 - y^2).
func (t *Tanh) Backward(_, y, dy *mat.Dense, _ bool) *mat.Dense {
	n := checkCols(t, "output", y, t.In.Size())
	checkSame(t, "output gradient", dy, y)
	return t.mapRows(n, func(s int, dxs []float64) {
		ds := row(dy, s)
		for i, v := range row(y, s) {
			dxs[i] = ds[i] * (1 - v*v)
		}
	})
}

// jvp: R{y} = (1 - y^2) R{x}.
func (t *Tanh) jvp(_, y, rx *mat.Dense) *mat.Dense { return t.Backward(nil, y, rx, false) }

// rBackward differentiates dx = (1 - y^2) dy: R{dx} = (1 - y^2) R{dy} - 2 y R{y} dy.
func (t *Tanh) rBackward(_, y, dy, _, ry, rdy *mat.Dense) *mat.Dense {
	n := checkCols(t, "output", y, t.In.Size())
	checkSame(t, "output gradient", dy, y)
	checkSame(t, "output tangent", ry, y)
	checkSame(t, "output gradient tangent", rdy, y)
	return t.mapRows(n, func(s int, os []float64) {
		ds, rys, rds := row(dy, s), row(ry, s), row(rdy, s)
		for i, v := range row(y, s) {
			os[i] = (1-v*v)*rds[i] - 2*v*rys[i]*ds[i]
		}
	})
}
