package nn

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// MaxPool2 is a 2x2 max pooling with stride 2 (PyTorch MaxPool2d(2)): output (C, H/2, W/2)
// with floor division, so an odd last row or column is dropped. The gradient goes to the first
// maximal entry of each window in row-major order; it is exact away from ties.
// Its field In, the per-sample input shape, is promoted from the embedded paramFree.
type MaxPool2 struct{ paramFree }

func (p *MaxPool2) Kind() string    { return KindMaxPool }
func (p *MaxPool2) OutShape() Shape { return Shape{p.In.C, p.In.H / 2, p.In.W / 2} }

// argmax returns, for output pixel (c, oi, oj) of one sample, the input index of the window's
// first maximal entry.
func (p *MaxPool2) argmax(x []float64, c, oi, oj int) int {
	W := p.In.W
	base := c*p.In.H*W + 2*oi*W + 2*oj
	best, bv := base, x[base]
	for _, idx := range [3]int{base + 1, base + W, base + W + 1} {
		if x[idx] > bv || math.IsNaN(x[idx]) && !math.IsNaN(bv) {
			best, bv = idx, x[idx]
		}
	}
	return best
}

// Forward takes the maximum of each 2x2 window.
func (p *MaxPool2) Forward(x *mat.Dense) *mat.Dense {
	return p.gather(x, x)
}

// gather returns, for every window of x, the entry of src at x's argmax (src = x: Forward;
// src = R{x}: the tangent).
func (p *MaxPool2) gather(x, src *mat.Dense) *mat.Dense {
	n := checkCols(p, "input", x, p.In.Size())
	checkSame(p, "tangent", src, x)
	out := p.OutShape()
	y := mat.NewDense(n, out.Size(), nil)
	for s := 0; s < n; s++ {
		xs, ss, ys := row(x, s), row(src, s), row(y, s)
		k := 0
		for c := 0; c < out.C; c++ {
			for oi := 0; oi < out.H; oi++ {
				for oj := 0; oj < out.W; oj++ {
					ys[k] = ss[p.argmax(xs, c, oi, oj)]
					k++
				}
			}
		}
	}
	return y
}

// Backward routes each output gradient to the argmax of its window.
func (p *MaxPool2) Backward(x, _, dy *mat.Dense, _ bool) *mat.Dense {
	n := checkCols(p, "input", x, p.In.Size())
	out := p.OutShape()
	checkCols(p, "output gradient", dy, out.Size())
	dx := mat.NewDense(n, p.In.Size(), nil)
	for s := 0; s < n; s++ {
		xs, ds, dxs := row(x, s), row(dy, s), row(dx, s)
		k := 0
		for c := 0; c < out.C; c++ {
			for oi := 0; oi < out.H; oi++ {
				for oj := 0; oj < out.W; oj++ {
					dxs[p.argmax(xs, c, oi, oj)] += ds[k]
					k++
				}
			}
		}
	}
	return dx
}

// jvp: max pooling is piecewise linear, R{y} = R{x} at the argmax.
func (p *MaxPool2) jvp(x, _, rx *mat.Dense) *mat.Dense { return p.gather(x, rx) }

func (p *MaxPool2) rBackward(x, y, _, _, _, rdy *mat.Dense) *mat.Dense {
	return p.Backward(x, y, rdy, false)
}

// AvgPool is a global average pool: each channel's H x W plane is replaced by its mean,
// giving shape (C, 1, 1) (PyTorch AdaptiveAvgPool2d(1)).
// Its field In, the per-sample input shape, is promoted from the embedded paramFree.
type AvgPool struct{ paramFree }

func (p *AvgPool) Kind() string    { return KindAvgPool }
func (p *AvgPool) OutShape() Shape { return Shape{p.In.C, 1, 1} }

func (p *AvgPool) Forward(x *mat.Dense) *mat.Dense {
	n := checkCols(p, "input", x, p.In.Size())
	hw := p.In.H * p.In.W
	inv := 1 / float64(hw)
	y := mat.NewDense(n, p.In.C, nil)
	for s := 0; s < n; s++ {
		xs, ys := row(x, s), row(y, s)
		for c := range ys {
			var sum float64
			for _, v := range xs[c*hw : (c+1)*hw] {
				sum += v
			}
			ys[c] = sum * inv
		}
	}
	return y
}

// Backward spreads dy[c]/(H W) over the plane of channel c.
func (p *AvgPool) Backward(x, _, dy *mat.Dense, _ bool) *mat.Dense {
	n := checkCols(p, "input", x, p.In.Size())
	checkCols(p, "output gradient", dy, p.In.C)
	hw := p.In.H * p.In.W
	inv := 1 / float64(hw)
	dx := mat.NewDense(n, p.In.Size(), nil)
	for s := 0; s < n; s++ {
		ds, dxs := row(dy, s), row(dx, s)
		for c, g := range ds {
			g *= inv
			d := dxs[c*hw : (c+1)*hw]
			for i := range d {
				d[i] = g
			}
		}
	}
	return dx
}

func (p *AvgPool) jvp(_, _, rx *mat.Dense) *mat.Dense { return p.Forward(rx) }

func (p *AvgPool) rBackward(x, y, _, _, _, rdy *mat.Dense) *mat.Dense {
	return p.Backward(x, y, rdy, false)
}

// Flatten reinterprets a (C, H, W) sample as a vector of C*H*W features. The data layout is
// unchanged, so Forward and Backward return their argument itself (no copy).
// Its field In, the per-sample input shape, is promoted from the embedded paramFree.
type Flatten struct{ paramFree }

func (f *Flatten) Kind() string    { return KindFlatten }
func (f *Flatten) OutShape() Shape { return Shape{f.In.Size(), 1, 1} }
func (f *Flatten) Forward(x *mat.Dense) *mat.Dense {
	checkCols(f, "input", x, f.In.Size())
	return x
}
func (f *Flatten) Backward(_, _, dy *mat.Dense, _ bool) *mat.Dense {
	checkCols(f, "output gradient", dy, f.In.Size())
	return dy
}
func (f *Flatten) jvp(_, _, rx *mat.Dense) *mat.Dense                 { return rx }
func (f *Flatten) rBackward(_, _, _, _, _, rdy *mat.Dense) *mat.Dense { return rdy }
