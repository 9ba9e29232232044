package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Conv2D is a 3x3 convolution with padding 1 and stride 1 (PyTorch Conv2d(InC, Out, 3,
// padding=1)): y[o,i,j] = b_o + sum_{c,u,v} W[o,c,u,v] x[c, i+u-1, j+v-1], zero outside the
// image. It is computed by im2col: the patches of a sample form a (InC*9) x (H*W) matrix P_s
// and Y_s = W P_s (W viewed as Out x InC*9); the P_s of a chunk of samples sit side by side so
// that one BLAS Gemm serves the chunk.
type Conv2D struct {
	In  Shape // input shape (InC, H, W); the output is (Out, H, W)
	Out int   // output channels
	W   *Param
	B   *Param // nil without bias

	name string
	col  []float64 // scratch: im2col patches of a chunk of samples
	dcol []float64 // scratch: gradient w.r.t. the patches
	ybuf []float64 // scratch: outputs or output gradients of a chunk
}

func newConvLayer(name string, in Shape, out int, bias bool) *Conv2D {
	c := &Conv2D{In: in, Out: out, name: name}
	c.W = newParam(name+".weight", out, in.C, 3, 3)
	if bias {
		c.B = newParam(name+".bias", out)
	}
	return c
}

func (c *Conv2D) Name() string    { return c.name }
func (c *Conv2D) Kind() string    { return KindConv2D }
func (c *Conv2D) InShape() Shape  { return c.In }
func (c *Conv2D) OutShape() Shape { return Shape{c.Out, c.In.H, c.In.W} }
func (c *Conv2D) Params() []*Param {
	if c.B == nil {
		return []*Param{c.W}
	}
	return []*Param{c.W, c.B}
}

func (c *Conv2D) k() int  { return c.In.C * 9 }
func (c *Conv2D) hw() int { return c.In.H * c.In.W }

// maxChunkFloats bounds the im2col buffer of one chunk of samples (2 MiB): big enough for
// Gemms that BLAS spreads over cores, small enough to stay near per-sample cache efficiency.
const maxChunkFloats = 1 << 18

// chunk returns how many samples are processed by one Gemm, and scratch buffers for them:
// col (K x S*HW patches), dcol (its gradient) and ybuf (Out x S*HW outputs).
func (c *Conv2D) chunk(n int) (S int, col, dcol, ybuf []float64) {
	S = max(1, min(n, maxChunkFloats/(c.k()*c.hw())))
	if nc := c.k() * c.hw() * S; len(c.col) < nc {
		c.col = make([]float64, nc)
		c.dcol = make([]float64, nc)
	}
	if ny := c.Out * c.hw() * S; len(c.ybuf) < ny {
		c.ybuf = make([]float64, ny)
	}
	return S, c.col, c.dcol, c.ybuf
}

func (c *Conv2D) weights(v []float64) blas64.General {
	return blas64.General{Rows: c.Out, Cols: c.k(), Stride: c.k(), Data: v}
}

// Forward computes the convolution of each sample, adding the bias per output channel.
func (c *Conv2D) Forward(x *mat.Dense) *mat.Dense {
	return c.conv(x, true)
}

// conv processes the batch in chunks of S samples: the patches of the chunk are laid side by
// side in P (K x S*HW), one Gemm computes W P (Out x S*HW), and each sample's Out x HW block
// is copied into its row of y. Large Gemms let BLAS use several cores.
func (c *Conv2D) conv(x *mat.Dense, bias bool) *mat.Dense {
	n := checkCols(c, "input", x, c.In.Size())
	hw, k := c.hw(), c.k()
	y := mat.NewDense(n, c.Out*hw, nil)
	S, col, _, ybuf := c.chunk(n)
	w := c.weights(c.W.Value)
	for s0 := 0; s0 < n; s0 += S {
		ns := min(S, n-s0)
		cols := ns * hw
		for t := 0; t < ns; t++ {
			c.im2col(row(x, s0+t), col, cols, t*hw)
		}
		pm := blas64.General{Rows: k, Cols: cols, Stride: cols, Data: col[:k*cols]}
		out := blas64.General{Rows: c.Out, Cols: cols, Stride: cols, Data: ybuf[:c.Out*cols]}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, w, pm, 0, out)
		for t := 0; t < ns; t++ {
			ys := row(y, s0+t)
			for o := 0; o < c.Out; o++ {
				yo := ys[o*hw : (o+1)*hw]
				copy(yo, out.Data[o*cols+t*hw:o*cols+(t+1)*hw])
				if bias && c.B != nil {
					b := c.B.Value[o]
					for i := range yo {
						yo[i] += b
					}
				}
			}
		}
	}
	return y
}

// Backward: per chunk, with dY gathered as Out x S*HW, dW += dY P^T, db += row sums of dY,
// and dX = col2im(W^T dY).
func (c *Conv2D) Backward(x, y, dy *mat.Dense, accumulate bool) *mat.Dense {
	return c.backward(x, y, dy, accumulate, true)
}

func (c *Conv2D) backward(x, _, dy *mat.Dense, accumulate, needDx bool) *mat.Dense {
	n := checkCols(c, "input", x, c.In.Size())
	hw, k := c.hw(), c.k()
	if m := checkCols(c, "output gradient", dy, c.Out*hw); m != n {
		panic("nn: layer " + c.name + ": input and output gradient have different batch sizes")
	}
	if !accumulate && !needDx {
		return nil
	}
	var dx *mat.Dense
	if needDx {
		dx = mat.NewDense(n, c.In.Size(), nil)
	}
	S, col, dcol, ybuf := c.chunk(n)
	w := c.weights(c.W.Value)
	dw := c.weights(c.W.Grad)
	for s0 := 0; s0 < n; s0 += S {
		ns := min(S, n-s0)
		cols := ns * hw
		g := blas64.General{Rows: c.Out, Cols: cols, Stride: cols, Data: ybuf[:c.Out*cols]}
		for t := 0; t < ns; t++ {
			dys := row(dy, s0+t)
			for o := 0; o < c.Out; o++ {
				copy(g.Data[o*cols+t*hw:o*cols+(t+1)*hw], dys[o*hw:(o+1)*hw])
			}
		}
		if accumulate {
			for t := 0; t < ns; t++ {
				c.im2col(row(x, s0+t), col, cols, t*hw)
			}
			pm := blas64.General{Rows: k, Cols: cols, Stride: cols, Data: col[:k*cols]}
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, g, pm, 1, dw)
			if c.B != nil {
				for o := range c.B.Grad {
					var sum float64
					for _, v := range g.Data[o*cols : (o+1)*cols] {
						sum += v
					}
					c.B.Grad[o] += sum
				}
			}
		}
		if needDx {
			dpm := blas64.General{Rows: k, Cols: cols, Stride: cols, Data: dcol[:k*cols]}
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, w, g, 0, dpm)
			for t := 0; t < ns; t++ {
				c.col2im(dcol, cols, t*hw, row(dx, s0+t))
			}
		}
	}
	return dx
}

// jvp: with W fixed the convolution is linear in x; R{y} is the convolution of R{x} without
// the bias.
func (c *Conv2D) jvp(_, _, rx *mat.Dense) *mat.Dense { return c.conv(rx, false) }

// rBackward: dX is linear in dY for fixed W.
func (c *Conv2D) rBackward(x, y, _, _, _, rdy *mat.Dense) *mat.Dense {
	return c.backward(x, y, rdy, false, true)
}

// im2col writes the patches of one sample x (InC x H x W) into columns off..off+HW-1 of col,
// a (InC*9) x stride row-major matrix: col[(ch*9+u*3+v)*stride + off + i*W+j] =
// x[ch, i+u-1, j+v-1] (0 outside the image).
func (c *Conv2D) im2col(x, col []float64, stride, off int) {
	H, W := c.In.H, c.In.W
	hw := H * W
	for ch := 0; ch < c.In.C; ch++ {
		for k := 0; k < 9; k++ {
			r := (ch*9+k)*stride + off
			shiftCopy(col[r:r+hw], x[ch*hw:(ch+1)*hw], H, W, k/3-1, k%3-1)
		}
	}
}

// col2im is the adjoint of im2col: it adds every patch entry of columns off..off+HW-1 back
// into dx at its pixel.
func (c *Conv2D) col2im(col []float64, stride, off int, dx []float64) {
	H, W := c.In.H, c.In.W
	hw := H * W
	for ch := 0; ch < c.In.C; ch++ {
		for k := 0; k < 9; k++ {
			r := (ch*9+k)*stride + off
			shiftAdd(dx[ch*hw:(ch+1)*hw], col[r:r+hw], H, W, k/3-1, k%3-1)
		}
	}
}
