package nn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"gonum.org/v1/gonum/mat"
)

// Paper's early-stopping rule (authors' train_model.py): after every epoch, stop when the mean
// training accuracy over the last earlyStopWindow epochs exceeds earlyStopAcc and the epoch's
// training loss is below TrainConfig.StopLoss (default DefaultStopLoss).
const (
	earlyStopWindow = 9
	earlyStopAcc    = 0.9999
	// DefaultStopLoss is the loss threshold of the paper's early-stopping rule.
	DefaultStopLoss = 1e-5
	// clipEps is added to the gradient norm before dividing, as torch.nn.utils.clip_grad_norm_.
	clipEps = 1e-6
	// defaultEvalBatch is used by Evaluate when batch <= 0.
	defaultEvalBatch = 256
	// DefaultDivergeFactor is the default of TrainConfig.DivergeFactor.
	DefaultDivergeFactor = 1e3
)

// ErrDiverged matches (errors.Is) the *DivergedError Train returns when the loss explodes.
var ErrDiverged = errors.New("training diverged")

// DivergedError reports an epoch whose mean minibatch loss exceeded Factor times
// max(Initial, 1), Initial being the mean loss of the first minibatch (at the initial weights).
type DivergedError struct {
	Epoch         int
	Loss, Initial float64
	Factor, Bound float64
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("nn: Train: diverged at epoch %d: mean loss %.4g exceeds %g x max(initial loss %.4g, 1) = %.4g (lower the learning rate)",
		e.Epoch, e.Loss, e.Factor, e.Initial, e.Bound)
}

// Is makes errors.Is(err, ErrDiverged) true.
func (e *DivergedError) Is(target error) bool { return target == ErrDiverged }

// ErrNonFinite matches (errors.Is) the *NonFiniteError Train returns when a minibatch loss or
// gradient is NaN or infinite.
var ErrNonFinite = errors.New("non-finite value")

// NonFiniteError reports where training produced a NaN or infinite value. Epoch, Step (within
// the epoch) and GlobalStep are 1-based.
type NonFiniteError struct {
	What                    string  // "loss" (mean minibatch loss) or "gradient norm" (total L2 norm)
	Value                   float64 // the offending value
	Epoch, Step, GlobalStep int
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("nn: Train: non-finite %s %v at epoch %d step %d (global step %d)", e.What, e.Value, e.Epoch, e.Step, e.GlobalStep)
}

// Is makes errors.Is(err, ErrNonFinite) true.
func (e *NonFiniteError) Is(target error) bool { return target == ErrNonFinite }

// TrainConfig configures Train: plain minibatch SGD as in the paper (no momentum, no weight
// decay), with the authors' cosine learning-rate schedule, gradient-norm clipping and early stop.
type TrainConfig struct {
	// LR is the initial learning rate eta_0 (> 0).
	LR float64 `json:"lr"`
	// EtaMin is the floor of the cosine schedule (the paper uses LR/100).
	EtaMin float64 `json:"eta_min,omitempty"`
	// Batch is the minibatch size B (> 0). The last, partial batch of an epoch is used too.
	Batch int `json:"batch"`
	// Epochs is the maximum number of passes over the data (> 0).
	Epochs int `json:"epochs"`
	// CosineTMax is T_max of the cosine schedule in epochs; 0 keeps the learning rate constant.
	CosineTMax int `json:"cosine_t_max,omitempty"`
	// ClipNorm clips the total L2 norm of the gradient over all parameters; 0 disables it.
	ClipNorm float64 `json:"clip_norm,omitempty"`
	// EarlyStop enables the paper's stopping rule (see Train). It implies EvalTrain.
	EarlyStop bool `json:"early_stop,omitempty"`
	// StopLoss is the loss threshold of the stopping rule; 0 means DefaultStopLoss (1e-5).
	StopLoss float64 `json:"stop_loss,omitempty"`
	// EvalTrain re-evaluates loss and accuracy on the whole training set after every epoch,
	// with the epoch's final weights (the authors' protocol; one extra forward pass per epoch).
	EvalTrain bool `json:"eval_train,omitempty"`
	// Seed drives the per-epoch shuffles.
	Seed uint64 `json:"seed"`
	// Checkpoints lists epochs (1-based, <= Epochs) after which onCheckpoint is called.
	Checkpoints []int `json:"checkpoints,omitempty"`
	// Precision is the arithmetic of training: "float64" (or "") trains the Model itself;
	// "float32" (the paper's precision) trains a float32 copy of it (see Train) and writes
	// the float32 weights back into the Model, exactly.
	Precision string `json:"precision,omitempty"`
	// DivergeFactor stops training with a *DivergedError after an epoch whose mean loss
	// exceeds DivergeFactor x max(L0, 1), L0 being the mean loss of the first minibatch at the
	// initial weights. 0 means DefaultDivergeFactor (1e3); a negative value disables the check
	// (NaN and Inf are always caught). SGD that makes progress keeps the epoch loss near or
	// below L0 (a transient spike of a few times L0 at a large learning rate is normal); with
	// cross-entropy L0 is about ln C (2.3 for 10 classes), so 1e3 x L0 means the true class
	// gets probability about e^-2300 on average: the weights have blown up, and every later
	// measurement would be meaningless. max(L0, 1) keeps a nearly-trained start (L0 near 0)
	// from tripping the check on noise.
	DivergeFactor float64 `json:"diverge_factor,omitempty"`
}

// EpochStats summarizes one epoch. Epochs are numbered from 1.
type EpochStats struct {
	Epoch int `json:"epoch"`
	// Loss and Acc are the mean per-sample loss and the accuracy accumulated over the epoch's
	// minibatches, each measured with the weights before that minibatch's update.
	Loss float64 `json:"loss"`
	Acc  float64 `json:"acc"`
	// TrainLoss and TrainAcc are measured on the whole training set after the epoch when
	// Evaluated is true (TrainConfig.EvalTrain or EarlyStop); otherwise they are zero.
	TrainLoss float64 `json:"train_loss,omitempty"`
	TrainAcc  float64 `json:"train_acc,omitempty"`
	Evaluated bool    `json:"evaluated,omitempty"`
	// LR is the learning rate used in this epoch.
	LR float64 `json:"lr"`
	// Steps is the number of SGD steps in the epoch; Clipped how many of them were clipped.
	Steps   int `json:"steps"`
	Clipped int `json:"clipped,omitempty"`
	// GradNorm is the mean over the steps of the total gradient norm before clipping.
	GradNorm float64 `json:"grad_norm"`
	// Elapsed is the wall time of the epoch, evaluation included.
	Elapsed time.Duration `json:"elapsed"`
}

// History is the record of a training run.
type History struct {
	Epochs []EpochStats `json:"epochs"`
	// Stopped says why training ended: all epochs done, early stop, cancellation or an error.
	Stopped string `json:"stopped"`
	// EarlyStopped is true when the early-stopping rule ended the run.
	EarlyStopped bool `json:"early_stopped,omitempty"`
	// Steps is the total number of SGD steps taken.
	Steps int `json:"steps"`
}

// FinalTrainAcc is the accuracy on the whole training set after the last epoch, measured
// with the final weights (unlike the running minibatch accuracy Acc); NaN when there is no
// epoch or the last one was not evaluated (TrainConfig.EvalTrain or EarlyStop).
func (h History) FinalTrainAcc() float64 {
	if len(h.Epochs) == 0 {
		return math.NaN()
	}
	if e := h.Epochs[len(h.Epochs)-1]; e.Evaluated {
		return e.TrainAcc
	}
	return math.NaN()
}

// CosineLR is the learning rate of epoch e (0-based) under cosine annealing, the closed form of
// PyTorch's CosineAnnealingLR stepped once per epoch:
//
//	eta_e = eta_min + (eta_0 - eta_min) (1 + cos(pi e / T_max)) / 2.
//
// tMax <= 0 gives the constant eta_0.
func CosineLR(lr, etaMin float64, tMax, e int) float64 {
	if tMax <= 0 {
		return lr
	}
	return etaMin + (lr-etaMin)*(1+math.Cos(math.Pi*float64(e)/float64(tMax)))/2
}

// Validate checks the configuration fields (the data are checked by Train).
func (cfg TrainConfig) Validate() error {
	switch {
	case !(cfg.LR > 0) || math.IsInf(cfg.LR, 0):
		return fmt.Errorf("nn: TrainConfig.LR = %v, want a finite value > 0", cfg.LR)
	case cfg.EtaMin < 0 || math.IsNaN(cfg.EtaMin) || math.IsInf(cfg.EtaMin, 0):
		return fmt.Errorf("nn: TrainConfig.EtaMin = %v, want a finite value >= 0", cfg.EtaMin)
	case cfg.Batch <= 0:
		return fmt.Errorf("nn: TrainConfig.Batch = %d, want > 0", cfg.Batch)
	case cfg.Epochs <= 0:
		return fmt.Errorf("nn: TrainConfig.Epochs = %d, want > 0", cfg.Epochs)
	case cfg.CosineTMax < 0:
		return fmt.Errorf("nn: TrainConfig.CosineTMax = %d, want >= 0 (0 = constant lr)", cfg.CosineTMax)
	case cfg.ClipNorm < 0 || math.IsNaN(cfg.ClipNorm):
		return fmt.Errorf("nn: TrainConfig.ClipNorm = %v, want >= 0 (0 = off)", cfg.ClipNorm)
	case cfg.StopLoss < 0 || math.IsNaN(cfg.StopLoss):
		return fmt.Errorf("nn: TrainConfig.StopLoss = %v, want >= 0 (0 = %g)", cfg.StopLoss, DefaultStopLoss)
	case cfg.Precision != "" && cfg.Precision != Float64 && cfg.Precision != Float32:
		return fmt.Errorf("nn: TrainConfig.Precision = %q, want %q or %q", cfg.Precision, Float32, Float64)
	case math.IsNaN(cfg.DivergeFactor) || (cfg.DivergeFactor > 0 && cfg.DivergeFactor <= 1) || math.IsInf(cfg.DivergeFactor, 0):
		return fmt.Errorf("nn: TrainConfig.DivergeFactor = %v, want a finite factor > 1 (0 = %g, < 0 = off)", cfg.DivergeFactor, DefaultDivergeFactor)
	}
	for _, c := range cfg.Checkpoints {
		if c < 1 || c > cfg.Epochs {
			return fmt.Errorf("nn: TrainConfig.Checkpoints contains epoch %d, want 1..Epochs (%d)", c, cfg.Epochs)
		}
	}
	return nil
}

// checkData validates a data set against the model: one label per row, features matching the
// model's input, labels in [0, classes).
func checkData(m *Model, x *mat.Dense, labels []int) error {
	if m == nil {
		return errors.New("model is nil")
	}
	if x == nil {
		return errors.New("data matrix x is nil")
	}
	n, f := x.Dims()
	if len(labels) != n {
		return fmt.Errorf("%d labels for %d rows of x, want one label per row", len(labels), n)
	}
	if in := m.Spec.In.Size(); f != in {
		return fmt.Errorf("x has %d columns, want the model's input size %d (%v)", f, in, m.Spec.In)
	}
	// Non-finite inputs are rejected up front: ReLU maps NaN to 0 and BLAS skips zero
	// multipliers, so a NaN feature could otherwise vanish silently instead of poisoning the loss.
	raw := x.RawMatrix()
	for i := range n {
		for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+f] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("x[%d, %d] = %v, want finite inputs", i, j, v)
			}
		}
	}
	classes := m.Classes()
	for i, y := range labels {
		if y < 0 || y >= classes {
			return fmt.Errorf("labels[%d] = %d, want 0..%d (model has %d outputs)", i, y, classes-1, classes)
		}
	}
	return nil
}

// Train runs minibatch SGD on (x, labels), modifying m in place, and returns the per-epoch
// history. Each step on a minibatch B of size b (the last one of an epoch may be smaller):
//
//	g = (1/b) sum_{p in B} grad l_p(w)               (mean loss over the minibatch)
//	g <- g * min(1, c / (|g|_2 + 1e-6))              (clipping, c = ClipNorm, if c > 0)
//	w <- w - eta_e g                                 (eta_e = CosineLR(LR, EtaMin, CosineTMax, e))
//
// Epoch e draws a fresh permutation of the samples from a PCG stream seeded once from
// cfg.Seed, so a run is bit-for-bit reproducible for the same model, data, configuration and
// BLAS build.
//
// With cfg.Precision "float32" the same loop runs on a float32 copy of m (weights and inputs
// rounded to float32 once): forward and backward passes, gradients, clipping (by the float64
// norm of the float32 gradient) and the update w <- w - float32(eta_e) g are float32, the
// loss and dl/dz are evaluated in float64 from the float32 logits and rounded back, and the
// early-stop evaluation uses the float32 network. m receives the float32 weights (exactly,
// float32 to float64 being exact) at every checkpoint and when Train returns, for any
// reason; all analysis of the trained model then runs in float64 on those weights.
//
// Early stop (cfg.EarlyStop, the authors' rule): after epoch k the whole training set is
// evaluated; training stops when the mean of the last min(k, 9) such accuracies is > 0.9999 and
// the epoch's loss is < StopLoss. Checkpoint epochs after an early stop are still reported to
// onCheckpoint, with the final model: a run launched with Epochs equal to such a checkpoint
// would have stopped at the same point with the same weights (the schedule does not depend on
// Epochs).
//
// onEpoch (may be nil) is called after every epoch; onCheckpoint (may be nil) after the epochs
// listed in cfg.Checkpoints, and its error ends training. A NaN or infinite minibatch loss or
// gradient stops training before the update, leaving m at its last finite weights, with a
// *NonFiniteError (errors.Is ErrNonFinite) naming the epoch, the step in the epoch and the
// global step (all 1-based). Inputs must be finite. Cancelling ctx stops training between
// steps with an error wrapping ctx.Err(). In every case the returned History holds the
// completed epochs.
func Train(ctx context.Context, m *Model, loss Loss, x *mat.Dense, labels []int, cfg TrainConfig,
	onEpoch func(EpochStats), onCheckpoint func(epoch int, m *Model) error) (History, error) {
	var hist History
	if err := cfg.Validate(); err != nil {
		return hist, err
	}
	if loss == nil {
		return hist, errors.New("nn: Train: loss is nil")
	}
	if x != nil && x.IsEmpty() {
		return hist, errors.New("nn: Train: x has no rows")
	}
	if err := checkData(m, x, labels); err != nil {
		return hist, fmt.Errorf("nn: Train: %w", err)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	stopLoss := cfg.StopLoss
	if stopLoss == 0 {
		stopLoss = DefaultStopLoss
	}
	evalTrain := cfg.EvalTrain || cfg.EarlyStop
	divergeFactor := cfg.DivergeFactor
	if divergeFactor == 0 {
		divergeFactor = DefaultDivergeFactor
	}
	initialLoss := math.NaN() // mean loss of the first minibatch
	checkpoints := slices.Clone(cfg.Checkpoints)
	slices.Sort(checkpoints)
	checkpoints = slices.Compact(checkpoints)

	n := len(labels)
	classes := m.Classes()
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9E3779B97F4A7C15))
	perm := make([]int, n)
	b := min(cfg.Batch, n)
	var be sgdBackend
	if cfg.Precision == Float32 {
		e, err := newTrainer32(m, loss, x, labels, b)
		if err != nil {
			return hist, fmt.Errorf("nn: Train: %w", err)
		}
		be = e
		// m follows the float32 weights at checkpoints and whenever Train returns.
		defer e.sync()
		defer e.release()
	} else {
		be = newTrainer64(m, loss, x, labels, b)
	}
	yBuf := make([]int, b)

	var accs []float64 // full-set accuracies for the stopping rule
	global := 0
	ckIdx := 0
	for e := 0; e < cfg.Epochs; e++ {
		epoch := e + 1
		start := time.Now()
		lr := CosineLR(cfg.LR, cfg.EtaMin, cfg.CosineTMax, e)
		for i := range perm {
			perm[i] = i
		}
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })

		st := EpochStats{Epoch: epoch, LR: lr}
		var lossSum, normSum float64
		correct := 0
		for lo, step := 0, 1; lo < n; lo, step = lo+b, step+1 {
			if err := ctx.Err(); err != nil {
				hist.Stopped = fmt.Sprintf("canceled at epoch %d step %d (global step %d): %v", epoch, step, global+1, err)
				return hist, fmt.Errorf("nn: Train canceled at epoch %d step %d (global step %d): %w", epoch, step, global+1, err)
			}
			hi := min(lo+b, n)
			yb := yBuf[:hi-lo]
			for r, p := range perm[lo:hi] {
				yb[r] = labels[p]
			}
			global++

			batchLoss, c := be.forwardLoss(perm[lo:hi], yb, classes)
			if math.IsNaN(batchLoss) || math.IsInf(batchLoss, 0) {
				err := &NonFiniteError{What: "loss", Value: batchLoss / float64(hi-lo), Epoch: epoch, Step: step, GlobalStep: global}
				hist.Stopped = err.Error()
				return hist, err
			}
			if global == 1 {
				initialLoss = batchLoss / float64(hi-lo)
			}
			lossSum += batchLoss
			correct += c

			be.backward()
			norm := math.Sqrt(be.gradNormSq())
			if math.IsNaN(norm) || math.IsInf(norm, 0) {
				err := &NonFiniteError{What: "gradient norm", Value: norm, Epoch: epoch, Step: step, GlobalStep: global}
				hist.Stopped = err.Error()
				return hist, err
			}
			normSum += norm
			if cfg.ClipNorm > 0 {
				// torch.nn.utils.clip_grad_norm_: coef = c/(|g|+1e-6), applied when < 1.
				if coef := cfg.ClipNorm / (norm + clipEps); coef < 1 {
					st.Clipped++
					be.scaleGrad(coef)
				}
			}
			be.update(lr)
			st.Steps++
		}
		hist.Steps = global
		st.Loss = lossSum / float64(n)
		st.Acc = float64(correct) / float64(n)
		st.GradNorm = normSum / float64(st.Steps)
		if bound := divergeFactor * max(initialLoss, 1); divergeFactor > 0 && st.Loss > bound {
			err := &DivergedError{Epoch: epoch, Loss: st.Loss, Initial: initialLoss, Factor: divergeFactor, Bound: bound}
			hist.Epochs = append(hist.Epochs, st)
			hist.Stopped = err.Error()
			return hist, err
		}
		if evalTrain {
			var err error
			if st.TrainLoss, st.TrainAcc, err = be.evaluate(ctx, cfg.Batch); err != nil {
				hist.Stopped = fmt.Sprintf("canceled in the evaluation after epoch %d: %v", epoch, err)
				return hist, fmt.Errorf("nn: Train canceled in the evaluation after epoch %d: %w", epoch, err)
			}
			st.Evaluated = true
		}
		st.Elapsed = time.Since(start)
		hist.Epochs = append(hist.Epochs, st)
		if onEpoch != nil {
			onEpoch(st)
		}
		for ckIdx < len(checkpoints) && checkpoints[ckIdx] <= epoch {
			if onCheckpoint != nil {
				be.sync()
				if err := onCheckpoint(checkpoints[ckIdx], m); err != nil {
					hist.Stopped = fmt.Sprintf("checkpoint at epoch %d failed: %v", checkpoints[ckIdx], err)
					return hist, fmt.Errorf("nn: Train: checkpoint at epoch %d: %w", checkpoints[ckIdx], err)
				}
			}
			ckIdx++
		}

		if cfg.EarlyStop {
			accs = append(accs, st.TrainAcc)
			if stop, mean, w := earlyStopRule(accs, st.TrainLoss, stopLoss); stop {
				hist.EarlyStopped = true
				hist.Stopped = fmt.Sprintf("early stop after epoch %d: mean train accuracy over the last %d epochs %.6f > %g and train loss %.6g < %g",
					epoch, w, mean, earlyStopAcc, st.TrainLoss, stopLoss)
				for ; ckIdx < len(checkpoints); ckIdx++ {
					if onCheckpoint != nil {
						be.sync()
						if err := onCheckpoint(checkpoints[ckIdx], m); err != nil {
							return hist, fmt.Errorf("nn: Train: checkpoint at epoch %d (after early stop at epoch %d): %w", checkpoints[ckIdx], epoch, err)
						}
					}
				}
				return hist, nil
			}
		}
	}
	hist.Stopped = fmt.Sprintf("completed %d epochs", cfg.Epochs)
	return hist, nil
}

// earlyStopRule is the authors' rule: the mean of the last min(len(accs), 9) full-set
// accuracies exceeds 0.9999 and the latest loss is below stopLoss. It also returns the mean and
// the window length.
func earlyStopRule(accs []float64, loss, stopLoss float64) (stop bool, mean float64, window int) {
	w := accs[max(0, len(accs)-earlyStopWindow):]
	for _, a := range w {
		mean += a
	}
	mean /= float64(len(w))
	return mean > earlyStopAcc && loss < stopLoss, mean, len(w)
}

// countCorrect counts the rows whose largest logit (first one on ties) is at the label.
func countCorrect(logits *mat.Dense, labels []int, classes int) int {
	raw := logits.RawMatrix()
	c := 0
	for i, y := range labels {
		r := raw.Data[i*raw.Stride : i*raw.Stride+classes]
		best := 0
		for j := 1; j < len(r); j++ {
			if r[j] > r[best] {
				best = j
			}
		}
		if best == y {
			c++
		}
	}
	return c
}

// Evaluate returns the mean per-sample loss and the accuracy (argmax of the logits, first
// maximum on ties) of m on (x, labels), in forward passes of at most batch rows (batch <= 0:
// 256). It panics if the data do not fit the model, as gonum/mat does on shape errors; an empty
// set gives NaN, NaN.
func Evaluate(m *Model, loss Loss, x *mat.Dense, labels []int, batch int) (meanLoss, acc float64) {
	if x != nil && x.IsEmpty() && len(labels) == 0 {
		return math.NaN(), math.NaN()
	}
	if err := checkData(m, x, labels); err != nil {
		panic(fmt.Sprintf("nn: Evaluate: %v", err))
	}
	meanLoss, acc, _ = evaluate(context.Background(), m, loss, x, labels, batch)
	return meanLoss, acc
}

// evaluate is Evaluate without the data checks (Train has done them once).
func evaluate(ctx context.Context, m *Model, loss Loss, x *mat.Dense, labels []int, batch int) (meanLoss, acc float64, err error) {
	n, features := x.Dims()
	if n == 0 {
		return math.NaN(), math.NaN(), nil
	}
	if batch <= 0 {
		batch = defaultEvalBatch
	}
	classes := m.Classes()
	var sum float64
	correct := 0
	for lo := 0; lo < n; lo += batch {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		hi := min(lo+batch, n)
		// A row slice of a contiguous matrix is itself contiguous, so it can be passed as is;
		// a strided view is copied, so layers always see Stride == Cols.
		xb := x.Slice(lo, hi, 0, features).(*mat.Dense)
		if xb.RawMatrix().Stride != features {
			xb = mat.DenseCopyOf(xb)
		}
		logits := m.Forward(xb)
		ls, _ := loss.Eval(logits, labels[lo:hi])
		for _, l := range ls {
			sum += l
		}
		correct += countCorrect(logits, labels[lo:hi], classes)
	}
	return sum / float64(n), float64(correct) / float64(n), nil
}
