package nn

import (
	"context"

	"gonum.org/v1/gonum/mat"
)

// sgdBackend is the arithmetic of one Train run; Train owns the schedule, the shuffles,
// clipping decisions, early stopping and reporting, so that both precisions follow exactly
// the same rules.
type sgdBackend interface {
	// forwardLoss evaluates the minibatch made of the data rows idx (labels yb) and returns
	// the summed per-sample loss and the number of correct argmax predictions.
	forwardLoss(idx, yb []int, classes int) (lossSum float64, correct int)
	// backward sets the gradient of the minibatch's mean loss.
	backward()
	// gradNormSq is the squared L2 norm of the whole gradient.
	gradNormSq() float64
	// scaleGrad multiplies the gradient by coef.
	scaleGrad(coef float64)
	// update takes the step w <- w - lr g.
	update(lr float64)
	// evaluate returns the mean loss and accuracy on the whole training set, in forward
	// passes of at most batch rows, checking ctx before each.
	evaluate(ctx context.Context, batch int) (loss, acc float64, err error)
	// sync makes the Model hold the current weights.
	sync()
}

// trainer64 trains the float64 Model itself.
type trainer64 struct {
	m            *Model
	loss         Loss
	x            *mat.Dense
	labels       []int
	params       []*Param
	xFull, xTail *mat.Dense
	g            *mat.Dense // dl/dlogits of the last forwardLoss
}

func newTrainer64(m *Model, loss Loss, x *mat.Dense, labels []int, b int) *trainer64 {
	n, features := x.Dims()
	t := &trainer64{m: m, loss: loss, x: x, labels: labels, params: m.Params()}
	// Minibatch buffers, reused across steps: one for full batches, one for the last partial
	// batch of an epoch (its size is the same every epoch).
	t.xFull = mat.NewDense(b, features, nil)
	if r := n % b; r != 0 {
		t.xTail = mat.NewDense(r, features, nil)
	}
	return t
}

func (t *trainer64) forwardLoss(idx, yb []int, classes int) (float64, int) {
	xb := t.xFull
	if r, _ := xb.Dims(); len(idx) < r {
		xb = t.xTail
	}
	xRaw, xbRaw := t.x.RawMatrix(), xb.RawMatrix()
	f := xRaw.Cols
	for r, p := range idx {
		copy(xbRaw.Data[r*xbRaw.Stride:r*xbRaw.Stride+f], xRaw.Data[p*xRaw.Stride:p*xRaw.Stride+f])
	}
	logits := t.m.Forward(xb)
	ls, g := t.loss.Eval(logits, yb)
	t.g = g
	batchLoss := 0.0
	for _, l := range ls {
		batchLoss += l
	}
	return batchLoss, countCorrect(logits, yb, classes)
}

func (t *trainer64) backward() {
	// Mean loss over the minibatch: scale dl/dlogits by 1/b before backprop, as PyTorch's
	// reduction="mean" does.
	r, _ := t.g.Dims()
	t.g.Scale(1/float64(r), t.g)
	for _, p := range t.params {
		clear(p.Grad)
	}
	t.m.BackwardParams(t.g)
}

func (t *trainer64) gradNormSq() float64 {
	sq := 0.0
	for _, p := range t.params {
		for _, v := range p.Grad {
			sq += v * v
		}
	}
	return sq
}

func (t *trainer64) scaleGrad(coef float64) {
	for _, p := range t.params {
		for i := range p.Grad {
			p.Grad[i] *= coef
		}
	}
}

func (t *trainer64) update(lr float64) {
	for _, p := range t.params {
		for i, v := range p.Grad {
			p.Value[i] -= lr * v
		}
	}
}

func (t *trainer64) evaluate(ctx context.Context, batch int) (float64, float64, error) {
	return evaluate(ctx, t.m, t.loss, t.x, t.labels, batch)
}

func (t *trainer64) sync() {}

// trainer32 trains a float32 engine32 copy of the Model.
type trainer32 struct {
	e      *engine32
	head   lossHead
	x      []float32 // the data, rounded once
	f      int       // features
	labels []int
	n      int // rows in the current minibatch
}

func newTrainer32(m *Model, loss Loss, x *mat.Dense, labels []int, b int) (*trainer32, error) {
	e, err := newEngine32(m, b)
	if err != nil {
		return nil, err
	}
	raw := x.RawMatrix()
	t := &trainer32{e: e, head: lossHead{loss: loss}, f: raw.Cols, labels: labels,
		x: make([]float32, raw.Rows*raw.Cols)}
	for i := 0; i < raw.Rows; i++ {
		row := t.x[i*raw.Cols : (i+1)*raw.Cols]
		for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols] {
			row[j] = float32(v)
		}
	}
	return t, nil
}

func (t *trainer32) forwardLoss(idx, yb []int, classes int) (float64, int) {
	n := len(idx)
	t.n = n
	in := t.e.input(n)
	for r, p := range idx {
		copy(in[r*t.f:(r+1)*t.f], t.x[p*t.f:(p+1)*t.f])
	}
	z := t.e.forward(n)
	ls, logits := t.head.eval(z, yb, classes, 1/float64(n), t.e.dlogits(n))
	batchLoss := 0.0
	for _, l := range ls {
		batchLoss += l
	}
	return batchLoss, countCorrect(logits, yb, classes)
}

func (t *trainer32) backward() { t.e.backward(t.n) }

func (t *trainer32) gradNormSq() float64 {
	sq := 0.0
	for _, p := range t.e.params {
		for _, v := range p.g {
			sq += float64(v) * float64(v)
		}
	}
	return sq
}

func (t *trainer32) scaleGrad(coef float64) {
	c := float32(coef)
	for _, p := range t.e.params {
		for i := range p.g {
			p.g[i] *= c
		}
	}
}

func (t *trainer32) update(lr float64) {
	eta := float32(lr)
	for _, p := range t.e.params {
		for i, v := range p.g {
			p.v[i] -= eta * v
		}
	}
}

func (t *trainer32) evaluate(ctx context.Context, batch int) (float64, float64, error) {
	n := len(t.labels)
	batch = min(max(batch, 1), t.e.cap)
	classes := t.e.model.Classes()
	var sum float64
	correct := 0
	for lo := 0; lo < n; lo += batch {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		hi := min(lo+batch, n)
		copy(t.e.input(hi-lo), t.x[lo*t.f:hi*t.f])
		z := t.e.forward(hi - lo)
		ls, logits := t.head.eval(z, t.labels[lo:hi], classes, 1, t.e.dlogits(hi-lo))
		for _, l := range ls {
			sum += l
		}
		correct += countCorrect(logits, t.labels[lo:hi], classes)
	}
	return sum / float64(n), float64(correct) / float64(n), nil
}

func (t *trainer32) sync() { t.e.store() }
