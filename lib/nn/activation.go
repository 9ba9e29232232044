package nn

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// ReLU is y = max(x, 0) elementwise; its derivative is taken as 0 at x = 0 (PyTorch).
type ReLU struct {
	In   Shape
	name string
}

func (r *ReLU) Name() string     { return r.name }
func (r *ReLU) Kind() string     { return KindReLU }
func (r *ReLU) InShape() Shape   { return r.In }
func (r *ReLU) OutShape() Shape  { return r.In }
func (r *ReLU) Params() []*Param { return nil }

func (r *ReLU) Forward(x *mat.Dense) *mat.Dense {
	n := checkCols(r, "input", x, r.In.Size())
	y := mat.NewDense(n, r.In.Size(), nil)
	for s := 0; s < n; s++ {
		ys := row(y, s)
		for i, v := range row(x, s) {
			if v > 0 {
				ys[i] = v
			}
		}
	}
	return y
}

// Backward: dx = dy * 1[x > 0].
func (r *ReLU) Backward(x, _, dy *mat.Dense, _ bool) *mat.Dense { return r.mask(x, dy) }

// mask returns d * 1[x > 0].
func (r *ReLU) mask(x, d *mat.Dense) *mat.Dense {
	n := checkCols(r, "input", x, r.In.Size())
	checkSame(r, "gradient", d, x)
	out := mat.NewDense(n, r.In.Size(), nil)
	for s := 0; s < n; s++ {
		xs, ds, os := row(x, s), row(d, s), row(out, s)
		for i, v := range xs {
			if v > 0 {
				os[i] = ds[i]
			}
		}
	}
	return out
}

// jvp: R{y} = 1[x > 0] R{x}; rBackward: R{dx} = 1[x > 0] R{dy}, because R{relu'(x)} = 0
// almost everywhere.
func (r *ReLU) jvp(x, _, rx *mat.Dense) *mat.Dense                 { return r.mask(x, rx) }
func (r *ReLU) rBackward(x, _, _, _, _, rdy *mat.Dense) *mat.Dense { return r.mask(x, rdy) }

// Tanh is y = tanh(x) elementwise, with tanh' = 1 - y^2 and tanh” = -2 y (1 - y^2).
type Tanh struct {
	In   Shape
	name string
}

func (t *Tanh) Name() string     { return t.name }
func (t *Tanh) Kind() string     { return KindTanh }
func (t *Tanh) InShape() Shape   { return t.In }
func (t *Tanh) OutShape() Shape  { return t.In }
func (t *Tanh) Params() []*Param { return nil }

func (t *Tanh) Forward(x *mat.Dense) *mat.Dense {
	n := checkCols(t, "input", x, t.In.Size())
	y := mat.NewDense(n, t.In.Size(), nil)
	for s := 0; s < n; s++ {
		ys := row(y, s)
		for i, v := range row(x, s) {
			ys[i] = math.Tanh(v)
		}
	}
	return y
}

// Backward: dx = dy (1 - y^2).
func (t *Tanh) Backward(_, y, dy *mat.Dense, _ bool) *mat.Dense {
	n := checkCols(t, "output", y, t.In.Size())
	checkSame(t, "output gradient", dy, y)
	dx := mat.NewDense(n, t.In.Size(), nil)
	for s := 0; s < n; s++ {
		ys, ds, dxs := row(y, s), row(dy, s), row(dx, s)
		for i, v := range ys {
			dxs[i] = ds[i] * (1 - v*v)
		}
	}
	return dx
}

// jvp: R{y} = (1 - y^2) R{x}.
func (t *Tanh) jvp(_, y, rx *mat.Dense) *mat.Dense { return t.Backward(nil, y, rx, false) }

// rBackward differentiates dx = (1 - y^2) dy: R{dx} = (1 - y^2) R{dy} - 2 y R{y} dy.
func (t *Tanh) rBackward(_, y, dy, _, ry, rdy *mat.Dense) *mat.Dense {
	n := checkCols(t, "output", y, t.In.Size())
	checkSame(t, "output gradient", dy, y)
	checkSame(t, "output tangent", ry, y)
	checkSame(t, "output gradient tangent", rdy, y)
	out := mat.NewDense(n, t.In.Size(), nil)
	for s := 0; s < n; s++ {
		ys, ds, rys, rds, os := row(y, s), row(dy, s), row(ry, s), row(rdy, s), row(out, s)
		for i, v := range ys {
			os[i] = (1-v*v)*rds[i] - 2*v*rys[i]*ds[i]
		}
	}
	return out
}
