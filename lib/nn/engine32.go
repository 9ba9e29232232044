package nn

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/parallel"
)

// Precisions accepted by TrainConfig.Precision.
const (
	Float64 = "float64"
	Float32 = "float32"
)

// engine32 is a float32 copy of a Model for training: the paper trained in float32, and
// float32 GEMM runs about twice as fast as float64 on the same hardware. It holds float32
// copies of the parameters and their gradients, and activation buffers sized for a fixed
// maximal batch, so a training step allocates nothing but the loss head (B x C values).
//
// Layout. Dense layers see a batch as n rows of features (row-major n x F, as Model). The
// convolutional part keeps activations "planar": channel-major C x n x (H W), so a whole
// batch is one matrix P of im2col patches (C*9 x n*H*W) and a 3x3 convolution is a single
// GEMM Y = W P (Out x n*H*W) that lands directly in the planar layout of the next layer.
// Pooling and activations act per H x W plane or per element and do not care which layout
// the planes come in. Transposes are inserted where the two layouts meet (before the first
// convolution when it has several input channels, before the first dense layer after a
// convolution).
type engine32 struct {
	model  *Model
	ops    []op32
	cap    int         // maximal batch size
	acts   [][]float32 // acts[i]: input of op i; acts[len(ops)]: the logits (rows)
	grads  [][]float32 // grads[i]: dL/d acts[i]
	params []*param32  // in Model.Params order
	// first is the index of the first op with parameters; ops before it need no input
	// gradient, and it needs none either.
	first int
	// sizes[i] is the per-sample size of acts[i].
	sizes []int
}

// param32 is the float32 copy of a Param.
type param32 struct {
	p    *Param
	v, g []float32
}

// op32 is one step of the float32 forward/backward pass. n is the current batch size
// (<= cap); buffers hold exactly n samples, compactly, in the op's layout.
type op32 interface {
	// outSize is the number of output values per sample.
	outSize() int
	forward(x, y []float32, n int)
	// backward OVERWRITES the parameter gradients with the sums over the batch (there is one
	// backward pass per step) and, when dx != nil, writes dx = dL/dx.
	backward(x, y, dy, dx []float32, n int)
}

// newEngine32 compiles m for batches of at most capacity samples, copying its parameters
// (rounded to float32).
func newEngine32(m *Model, capacity int) (*engine32, error) {
	e := &engine32{model: m, cap: capacity, first: -1}
	newParam32 := func(p *Param) *param32 {
		if p == nil {
			return nil
		}
		q := &param32{p: p, v: make([]float32, len(p.Value)), g: make([]float32, len(p.Value))}
		e.params = append(e.params, q)
		return q
	}
	planar := false      // layout of the current activation
	spatial := m.Spec.In // its shape, ignoring flattens
	for _, l := range m.Layers {
		var op op32
		switch l := l.(type) {
		case *Dense:
			if planar {
				// Planar with one channel is already rows.
				if spatial.C > 1 {
					e.ops = append(e.ops, &transpose32{c: spatial.C, hw: spatial.H * spatial.W})
				}
				planar = false
			}
			op = &dense32{d: l, w: newParam32(l.W), b: newParam32(l.B)}
		case *Conv2D:
			if !planar {
				if l.In.C > 1 {
					e.ops = append(e.ops, &transpose32{c: l.In.C, hw: l.In.H * l.In.W, toPlanar: true})
				}
				planar = true
			}
			op = &conv32{c: l, w: newParam32(l.W), b: newParam32(l.B)}
		case *MaxPool2:
			op = &maxPool32{p: l}
		case *AvgPool:
			op = &avgPool32{p: l}
		case *ReLU:
			op = &relu32{n: l.In.Size()}
		case *Tanh:
			op = &tanh32{n: l.In.Size()}
		case *Flatten:
			continue // a flatten only renames the layout; the next dense layer transposes
		default:
			return nil, fmt.Errorf("nn: float32 training does not support layer %s (%s)", l.Name(), l.Kind())
		}
		if e.first < 0 && len(l.Params()) > 0 {
			e.first = len(e.ops)
		}
		e.ops = append(e.ops, op)
		spatial = l.OutShape()
	}
	if planar && spatial.C > 1 {
		// The logits must be rows; a network ending in a convolution is transposed back.
		e.ops = append(e.ops, &transpose32{c: spatial.C, hw: spatial.H * spatial.W})
	}
	if e.first < 0 {
		e.first = len(e.ops)
	}
	e.acts = make([][]float32, len(e.ops)+1)
	e.grads = make([][]float32, len(e.ops)+1)
	e.sizes = make([]int, len(e.ops)+1)
	size := m.Spec.In.Size()
	e.sizes[0] = size
	for i, op := range e.ops {
		e.sizes[i+1] = op.outSize()
		if i > 0 {
			e.acts[i] = make([]float32, capacity*size)
		}
		if i > e.first {
			e.grads[i] = make([]float32, capacity*size)
		}
		size = op.outSize()
		if c, ok := op.(*conv32); ok {
			c.col = make([]float32, capacity*c.c.k()*c.c.hw())
			if i > e.first {
				c.dcol = make([]float32, capacity*c.c.k()*c.c.hw())
			}
		}
		if p, ok := op.(*maxPool32); ok {
			p.arg = make([]int32, capacity*op.outSize())
		}
	}
	e.acts[len(e.ops)] = make([]float32, capacity*size)
	e.grads[len(e.ops)] = make([]float32, capacity*size)
	e.load()
	return e, nil
}

// load copies the model's parameters into the engine (rounding to float32).
func (e *engine32) load() {
	for _, q := range e.params {
		for i, v := range q.p.Value {
			q.v[i] = float32(v)
		}
	}
}

// store writes the engine's parameters and gradients into the model; float32 to float64 is
// exact, so the model then holds exactly the float32-trained weights.
func (e *engine32) store() {
	for _, q := range e.params {
		for i, v := range q.v {
			q.p.Value[i] = float64(v)
		}
		for i, v := range q.g {
			q.p.Grad[i] = float64(v)
		}
	}
}

// input returns the buffer for a batch of n input rows (n x Spec.In.Size(), row-major).
func (e *engine32) input(n int) []float32 {
	if e.acts[0] == nil {
		e.acts[0] = make([]float32, e.cap*e.model.Spec.In.Size())
	}
	return e.acts[0][:n*e.model.Spec.In.Size()]
}

// forward runs the batch in input(n) through the network and returns the logits (n x C rows).
func (e *engine32) forward(n int) []float32 {
	size := e.model.Spec.In.Size()
	for i, op := range e.ops {
		out := op.outSize()
		op.forward(e.acts[i][:n*size], e.acts[i+1][:n*out], n)
		size = out
	}
	return e.acts[len(e.ops)][:n*size]
}

// dlogits returns the buffer that backward reads dL/dlogits from.
func (e *engine32) dlogits(n int) []float32 {
	return e.grads[len(e.ops)][:n*e.model.Classes()]
}

// backward backpropagates dlogits(n) through the activations of the last forward and
// overwrites every parameter gradient with its sum over the batch.
func (e *engine32) backward(n int) {
	sizes := e.sizes
	for i := len(e.ops) - 1; i >= e.first; i-- {
		var dx []float32
		if i > e.first {
			dx = e.grads[i][:n*sizes[i]]
		}
		e.ops[i].backward(e.acts[i][:n*sizes[i]], e.acts[i+1][:n*sizes[i+1]], e.grads[i+1][:n*sizes[i+1]], dx, n)
	}
}

// dense32 is Dense in float32 on rows: Y = X W^T (+ b).
type dense32 struct {
	d    *Dense
	w, b *param32
}

func (d *dense32) outSize() int { return d.d.Out }

func (d *dense32) forward(x, y []float32, n int) {
	in, out := d.d.In, d.d.Out
	sgemm(false, true, n, out, in, 1, x, in, d.w.v, in, 0, y, out)
	if d.b != nil {
		for s := 0; s < n; s++ {
			ys := y[s*out : (s+1)*out]
			for j, v := range d.b.v {
				ys[j] += v
			}
		}
	}
}

func (d *dense32) backward(x, _, dy, dx []float32, n int) {
	in, out := d.d.In, d.d.Out
	sgemm(true, false, out, in, n, 1, dy, out, x, in, 0, d.w.g, in)
	if d.b != nil {
		clear(d.b.g)
		for s := 0; s < n; s++ {
			for j, v := range dy[s*out : (s+1)*out] {
				d.b.g[j] += v
			}
		}
	}
	if dx != nil {
		sgemm(false, false, n, in, out, 1, dy, out, d.w.v, in, 0, dx, in)
	}
}

// conv32 is Conv2D in float32 on planar activations: one GEMM per pass over the whole batch.
// col keeps the forward's patches for the weight gradient.
type conv32 struct {
	c         *Conv2D
	w, b      *param32
	col, dcol []float32
}

func (c *conv32) outSize() int { return c.c.Out * c.c.hw() }

func (c *conv32) forward(x, y []float32, n int) {
	k, hw, out := c.c.k(), c.c.hw(), c.c.Out
	cols := n * hw
	col := c.col[:k*cols]
	c.im2col(x, col, n)
	beta := float32(0)
	if c.b != nil {
		beta = 1
		parallel.Ranges(out, parallel.Workers(out, cols), func(_, lo, hi int) {
			for o := lo; o < hi; o++ {
				yo := y[o*cols : (o+1)*cols]
				b := c.b.v[o]
				for i := range yo {
					yo[i] = b
				}
			}
		})
	}
	sgemm(false, false, out, cols, k, 1, c.w.v, k, col, cols, beta, y, cols)
}

func (c *conv32) backward(_, _, dy, dx []float32, n int) {
	k, hw, out := c.c.k(), c.c.hw(), c.c.Out
	cols := n * hw
	sgemm(false, true, out, k, cols, 1, dy, cols, c.col[:k*cols], cols, 0, c.w.g, k)
	if c.b != nil {
		parallel.Ranges(out, parallel.Workers(out, cols), func(_, lo, hi int) {
			for o := lo; o < hi; o++ {
				c.b.g[o] = sum32(dy[o*cols : (o+1)*cols])
			}
		})
	}
	if dx != nil {
		dcol := c.dcol[:k*cols]
		sgemm(true, false, k, cols, out, 1, c.w.v, k, dy, cols, 0, dcol, cols)
		c.col2im(dcol, dx, n)
	}
}

// im2col writes the patches of a planar batch x (C x n x HW) into col (C*9 x n*HW):
// col[(ch*9+u*3+v), s*HW + i*W+j] = x[ch, s, i+u-1, j+v-1] (0 outside the image).
// The C*9 rows are independent and split among goroutines.
func (c *conv32) im2col(x, col []float32, n int) {
	H, W := c.c.In.H, c.c.In.W
	size := n * H * W
	parallel.Ranges(c.c.In.C*9, parallel.Workers(c.c.In.C*9, size), func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			ch, k := r/9, r%9
			shiftPlanes(col[r*size:(r+1)*size], x[ch*size:(ch+1)*size], n, H, W, k/3-1, k%3-1)
		}
	})
}

// col2im is the adjoint of im2col: it sets dx to the sum of every patch entry at its pixel.
// It uses col as scratch (see shiftAddPlanes). Each channel's nine taps are added by one
// goroutine in a fixed order, so the sums do not depend on the split.
func (c *conv32) col2im(col, dx []float32, n int) {
	H, W := c.c.In.H, c.c.In.W
	size := n * H * W
	parallel.Ranges(c.c.In.C, parallel.Workers(c.c.In.C, 9*size), func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			d := dx[ch*size : (ch+1)*size]
			clear(d)
			for k := 0; k < 9; k++ {
				r := ch*9 + k
				shiftAddPlanes(d, col[r*size:(r+1)*size], n, H, W, k/3-1, k%3-1)
			}
		}
	})
}

// sum32 is the sum of x, accumulated in eight interleaved partial sums (independent
// additions pipeline; one running sum waits on each addition's latency) and then added
// pairwise. The order is fixed, so the result is deterministic.
func sum32(x []float32) float32 {
	var p [8]float32
	i := 0
	for ; i+8 <= len(x); i += 8 {
		v := x[i : i+8 : i+8]
		p[0] += v[0]
		p[1] += v[1]
		p[2] += v[2]
		p[3] += v[3]
		p[4] += v[4]
		p[5] += v[5]
		p[6] += v[6]
		p[7] += v[7]
	}
	for j, v := range x[i:] {
		p[j] += v
	}
	return ((p[0] + p[4]) + (p[1] + p[5])) + ((p[2] + p[6]) + (p[3] + p[7]))
}

// transpose32 converts between rows (n x C x HW) and planar (C x n x HW) layouts.
type transpose32 struct {
	c, hw    int
	toPlanar bool
}

func (t *transpose32) outSize() int { return t.c * t.hw }

// move copies x into y, from rows to planar when toPlanar (else the reverse).
func (t *transpose32) move(x, y []float32, n int, toPlanar bool) {
	for s := 0; s < n; s++ {
		for ch := 0; ch < t.c; ch++ {
			r := x[(s*t.c+ch)*t.hw : (s*t.c+ch+1)*t.hw]
			p := y[(ch*n+s)*t.hw : (ch*n+s+1)*t.hw]
			if toPlanar {
				copy(p, r)
			} else {
				copy(r, p)
			}
		}
	}
}

func (t *transpose32) forward(x, y []float32, n int) {
	if t.toPlanar {
		t.move(x, y, n, true)
	} else {
		t.move(y, x, n, false)
	}
}

func (t *transpose32) backward(_, _, dy, dx []float32, n int) {
	if dx == nil {
		return
	}
	if t.toPlanar {
		t.move(dx, dy, n, false)
	} else {
		t.move(dy, dx, n, true)
	}
}

// maxPool32 is MaxPool2 per plane; arg keeps each window's argmax (index into x) for backward.
type maxPool32 struct {
	p   *MaxPool2
	arg []int32
}

func (p *maxPool32) outSize() int { return p.p.OutShape().Size() }

func (p *maxPool32) forward(x, y []float32, n int) {
	in, out := p.p.In, p.p.OutShape()
	H, W, oh, ow := in.H, in.W, out.H, out.W
	arg := p.arg[:len(y)]
	parallel.Ranges(n*in.C, parallel.Workers(n*in.C, H*W), func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			for oi := 0; oi < oh; oi++ {
				t := pl*H*W + 2*oi*W // index of the window row's first pixel
				top, bot := x[t:t+2*ow], x[t+W:t+W+2*ow]
				k := (pl*oh + oi) * ow
				ys, as := y[k:k+ow], arg[k:k+ow]
				for oj := range ys {
					a, b, c, d := top[2*oj], top[2*oj+1], bot[2*oj], bot[2*oj+1]
					var best int
					if a == a && b == b && c == c && d == d {
						// No NaN: the first maximum in row-major order, chosen with masks on
						// order keys (the comparisons are random, so branches on them would
						// mispredict, and the compiler emits no conditional moves here).
						ka, kb, kc, kd := orderKey(a), orderKey(b), orderKey(c), orderKey(d)
						m := (ka - kb) >> 63 // -1 when kb > ka
						bk, ib := ka^(ka^kb)&m, 1&m
						m = (bk - kc) >> 63
						bk, ib = bk^(bk^kc)&m, ib^(ib^int64(W))&m
						m = (bk - kd) >> 63
						ib ^= (ib ^ int64(W+1)) & m
						best = int(ib)
					} else {
						best = firstNaN(a, b, c, d, W)
					}
					as[oj] = int32(t + 2*oj + best)
					ys[oj] = x[t+2*oj+best]
				}
			}
		}
	})
}

// orderKey maps a float32 that is not NaN to an int32 with the same order: -0 and +0 get
// the same key, as they compare equal.
func orderKey(v float32) int64 {
	b := int32(math.Float32bits(v))
	s := b >> 31 // -1 for negative numbers, 0 otherwise
	return int64(b ^ (s & math.MaxInt32) - s)
}

// firstNaN is MaxPool2.argmax's choice in a 2×2 window (a, b on top, c, d below; W is the
// row stride) that holds a NaN: the first NaN in row-major order.
func firstNaN(a, b, c, d float32, W int) int {
	switch {
	case a != a:
		return 0
	case b != b:
		return 1
	case c != c:
		return W
	}
	return W + 1
}

func (p *maxPool32) backward(_, _, dy, dx []float32, n int) {
	if dx == nil {
		return
	}
	in, out := p.p.In, p.p.OutShape()
	hw, ohw := in.H*in.W, out.H*out.W
	// Windows do not overlap, and a plane's windows point into that plane only.
	parallel.Ranges(n*in.C, parallel.Workers(n*in.C, hw), func(_, lo, hi int) {
		clear(dx[lo*hw : hi*hw])
		for k, a := range p.arg[lo*ohw : hi*ohw] {
			dx[a] += dy[lo*ohw+k]
		}
	})
}

// avgPool32 is the global AvgPool per plane.
type avgPool32 struct{ p *AvgPool }

func (p *avgPool32) outSize() int { return p.p.In.C }

func (p *avgPool32) forward(x, y []float32, n int) {
	hw := p.p.In.H * p.p.In.W
	inv := 1 / float32(hw)
	for pl := range y[:n*p.p.In.C] {
		var sum float32
		for _, v := range x[pl*hw : (pl+1)*hw] {
			sum += v
		}
		y[pl] = sum * inv
	}
}

func (p *avgPool32) backward(_, _, dy, dx []float32, n int) {
	if dx == nil {
		return
	}
	hw := p.p.In.H * p.p.In.W
	inv := 1 / float32(hw)
	for pl, g := range dy[:n*p.p.In.C] {
		g *= inv
		d := dx[pl*hw : (pl+1)*hw]
		for i := range d {
			d[i] = g
		}
	}
}

// relu32 is ReLU elementwise: y = x unless x < 0, then 0, so a NaN passes through (and
// reaches the loss, which stops the run, instead of vanishing) and so does -0. The backward
// pass keeps dy where x > 0. Both run 8 lanes at a time in AVX where the CPU has AVX2 (the
// condition of the sgemm kernel), with the same rule in Go for the rest.
type relu32 struct{ n int }

func (r *relu32) outSize() int { return r.n }

func (r *relu32) forward(x, y []float32, _ int) {
	y = y[:len(x)]
	parallel.Ranges(len(x), parallel.Workers(len(x), 1), func(_, lo, hi int) { reluRange(x[lo:hi], y[lo:hi]) })
}

func (r *relu32) backward(x, _, dy, dx []float32, _ int) {
	if dx == nil {
		return
	}
	parallel.Ranges(len(x), parallel.Workers(len(x), 1), func(_, lo, hi int) { reluMaskRange(x[lo:hi], dy[lo:hi], dx[lo:hi]) })
}

// reluRange sets y = relu(x) (len(y) >= len(x)).
func reluRange(x, y []float32) {
	i := 0
	if n8 := len(x) &^ 7; hasSgemmKernel && n8 > 0 {
		reluAVX(&x[0], &y[0], n8)
		i = n8
	}
	for ; i < len(x); i++ {
		v := x[i]
		if v < 0 {
			v = 0
		}
		y[i] = v
	}
}

// reluMaskRange sets dx = dy where x > 0, else 0 (len(dy), len(dx) >= len(x)).
func reluMaskRange(x, dy, dx []float32) {
	i := 0
	if n8 := len(x) &^ 7; hasSgemmKernel && n8 > 0 {
		reluMaskAVX(&x[0], &dy[0], &dx[0], n8)
		i = n8
	}
	for ; i < len(x); i++ {
		if x[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

// tanh32 is Tanh elementwise, evaluated in float64 and rounded.
type tanh32 struct{ n int }

func (t *tanh32) outSize() int { return t.n }

func (t *tanh32) forward(x, y []float32, _ int) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = float32(math.Tanh(float64(v)))
	}
}

func (t *tanh32) backward(_, y, dy, dx []float32, _ int) {
	if dx == nil {
		return
	}
	dy, dx = dy[:len(y)], dx[:len(y)]
	for i, v := range y {
		dx[i] = dy[i] * (1 - v*v)
	}
}

// lossHead evaluates the loss of float32 logits: they are widened (exactly) to float64, the
// float64 Loss computes the per-sample losses and dl/dz with its accurate formulas, and the
// gradient, scaled by scale, is rounded to float32 into dz. The head is n x C values, so its
// cost is negligible next to the network's.
type lossHead struct {
	loss   Loss
	logits *mat.Dense
}

func (h *lossHead) eval(z []float32, labels []int, classes int, scale float64, dz []float32) (losses []float64, logits *mat.Dense) {
	n := len(labels)
	if h.logits == nil || h.logits.RawMatrix().Rows != n {
		h.logits = mat.NewDense(n, classes, nil)
	}
	raw := h.logits.RawMatrix().Data
	for i, v := range z[:n*classes] {
		raw[i] = float64(v)
	}
	ls, g := h.loss.Eval(h.logits, labels)
	for i, v := range g.RawMatrix().Data {
		dz[i] = float32(v * scale)
	}
	return ls, h.logits
}
