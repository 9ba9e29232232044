package nn

import (
	"context"
	"runtime"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/parallel"
	"github.com/noisecurv/noisecurv/lib/linalg"
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

// trainer32 trains a float32 copy of the Model, data-parallel over chunks of the minibatch.
//
// A minibatch is split into chunks (trainChunks: a power of two that depends only on the
// model and the batch size), each run forward and backward by its own engine32 replica on
// its own goroutine. The replicas share the parameter values (replica 0's slices); each
// computes its chunk's parameter gradients, and replica 0 then holds their sum, added in chunk
// order. The chunks do not depend on GOMAXPROCS, and float32 BLAS runs single-threaded while
// training (linalg.SerialThreads; the pure-Go sgemm splits whole column panels), so the
// trained weights are the same for any number of threads.
type trainer32 struct {
	reps    []*replica32
	x       []float32 // the data, rounded once
	f       int       // features
	labels  []int
	n       int       // rows in the current minibatch
	active  int       // chunks in the current minibatch
	losses  []float64 // per-sample losses of the current minibatch (or evaluation batch)
	release func()    // ends single-threaded BLAS
}

// replica32 is one chunk's engine; lo:hi are the chunk's rows of the current minibatch.
type replica32 struct {
	e       *engine32
	head    lossHead
	lo, hi  int
	correct int
}

// trainChunkMACs is the smallest forward cost, in multiply-adds, worth a chunk of its own:
// about 5 ms of one core in float32 (a chunk costs a goroutine, an engine's activations and
// one gradient sum).
var trainChunkMACs = 200_000_000

// trainChunks is the number of chunks a minibatch of b samples is split into: 1 for a
// network without convolutions, otherwise the largest power of two k <= b whose chunks each
// cost at least trainChunkMACs (the paper's MNIST CNN, 14.7 M multiply-adds per sample: 2
// chunks at B 32 and 50, 8 at B 128). Powers of two share out evenly on 2, 4, 8... cores.
// Dense networks are cheap per sample and their float32 training is the same as before
// chunking existed (lib/experiment's cache keys rely on this: only CNN keys moved).
func trainChunks(m *Model, b int) int {
	if !slices.ContainsFunc(m.Layers, func(l Layer) bool { _, ok := l.(*Conv2D); return ok }) {
		return 1
	}
	macs := forwardMACs(m)
	k := 1
	for 2*k <= b && b*macs >= 2*k*trainChunkMACs {
		k *= 2
	}
	return k
}

// forwardMACs is the number of multiply-adds of one sample's forward pass through the dense
// and convolutional layers.
func forwardMACs(m *Model) int {
	total := 0
	for _, l := range m.Layers {
		switch l := l.(type) {
		case *Dense:
			total += l.In * l.Out
		case *Conv2D:
			total += l.Out * l.k() * l.hw()
		}
	}
	return total
}

func newTrainer32(m *Model, loss Loss, x *mat.Dense, labels []int, b int) (*trainer32, error) {
	k := trainChunks(m, b)
	per := (b + k - 1) / k
	t := &trainer32{losses: make([]float64, k*per)}
	for r := 0; r < k; r++ {
		e, err := newEngine32(m, per)
		if err != nil {
			return nil, err
		}
		if r > 0 {
			for i, q := range e.params {
				q.v = t.reps[0].e.params[i].v
			}
		}
		t.reps = append(t.reps, &replica32{e: e, head: lossHead{loss: loss}})
	}
	raw := x.RawMatrix()
	t.f, t.labels = raw.Cols, labels
	t.x = make([]float32, raw.Rows*raw.Cols)
	for i := 0; i < raw.Rows; i++ {
		row := t.x[i*raw.Cols : (i+1)*raw.Cols]
		for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols] {
			row[j] = float32(v)
		}
	}
	t.release = linalg.SerialThreads()
	return t, nil
}

// split cuts n rows into the chunks [r n/k, (r+1) n/k) (k chunks, fewer when n < k).
func (t *trainer32) split(n int) {
	t.active = min(len(t.reps), n)
	for r, rep := range t.reps[:t.active] {
		rep.lo, rep.hi = r*n/t.active, (r+1)*n/t.active
	}
}

// each runs fn on the active replicas, concurrently; fn writes only what its replica owns.
func (t *trainer32) each(fn func(r *replica32)) {
	parallel.Ranges(t.active, min(t.active, runtime.GOMAXPROCS(0)), func(_, lo, hi int) {
		for _, r := range t.reps[lo:hi] {
			fn(r)
		}
	})
}

// run evaluates the n rows rows(lo, hi) (data indices of the chunk's rows) with labels yb,
// scaling dL/dlogits by scale; it fills t.losses[:n] and returns the number of correct argmax
// predictions.
func (t *trainer32) run(n int, rows func(lo, hi int) []int, yb []int, classes int, scale float64) int {
	t.split(n)
	t.each(func(r *replica32) {
		m := r.hi - r.lo
		in := r.e.input(m)
		for q, p := range rows(r.lo, r.hi) {
			copy(in[q*t.f:(q+1)*t.f], t.x[p*t.f:(p+1)*t.f])
		}
		z := r.e.forward(m)
		ls, logits := r.head.eval(z, yb[r.lo:r.hi], classes, scale, r.e.dlogits(m))
		copy(t.losses[r.lo:r.hi], ls)
		r.correct = countCorrect(logits, yb[r.lo:r.hi], classes)
	})
	correct := 0
	for _, r := range t.reps[:t.active] {
		correct += r.correct
	}
	return correct
}

func (t *trainer32) forwardLoss(idx, yb []int, classes int) (float64, int) {
	n := len(idx)
	t.n = n
	correct := t.run(n, func(lo, hi int) []int { return idx[lo:hi] }, yb, classes, 1/float64(n))
	batchLoss := 0.0
	for _, l := range t.losses[:n] {
		batchLoss += l
	}
	return batchLoss, correct
}

// backward runs every chunk's backward pass and adds the chunks' gradients into replica 0's,
// in chunk order for every parameter.
func (t *trainer32) backward() {
	t.each(func(r *replica32) { r.e.backward(r.hi - r.lo) })
	if t.active == 1 {
		return
	}
	for i, p := range t.reps[0].e.params {
		g := p.g
		parallel.Ranges(len(g), parallel.Workers(len(g), t.active), func(_, lo, hi int) {
			for _, r := range t.reps[1:t.active] {
				gr := r.e.params[i].g[lo:hi]
				for j, v := range gr {
					g[lo+j] += v
				}
			}
		})
	}
}

// params are the parameters with the batch gradient (replica 0's).
func (t *trainer32) params() []*param32 { return t.reps[0].e.params }

func (t *trainer32) gradNormSq() float64 {
	sq := 0.0
	for _, p := range t.params() {
		for _, v := range p.g {
			sq += float64(v) * float64(v)
		}
	}
	return sq
}

func (t *trainer32) scaleGrad(coef float64) {
	c := float32(coef)
	for _, p := range t.params() {
		for i := range p.g {
			p.g[i] *= c
		}
	}
}

func (t *trainer32) update(lr float64) {
	eta := float32(lr)
	for _, p := range t.params() {
		for i, v := range p.g {
			p.v[i] -= eta * v
		}
	}
}

func (t *trainer32) evaluate(ctx context.Context, batch int) (float64, float64, error) {
	n := len(t.labels)
	batch = min(max(batch, 1), len(t.losses))
	classes := t.reps[0].e.model.Classes()
	var sum float64
	correct := 0
	for lo := 0; lo < n; lo += batch {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		hi := min(lo+batch, n)
		correct += t.run(hi-lo, func(a, b int) []int { return t.iota(lo+a, lo+b) }, t.labels[lo:hi], classes, 1)
		for _, l := range t.losses[:hi-lo] {
			sum += l
		}
	}
	return sum / float64(n), float64(correct) / float64(n), nil
}

// iota returns the data indices lo..hi-1 (a fresh slice: replicas call it concurrently).
func (t *trainer32) iota(lo, hi int) []int {
	idx := make([]int, hi-lo)
	for i := range idx {
		idx[i] = lo + i
	}
	return idx
}

func (t *trainer32) sync() { t.reps[0].e.store() }
