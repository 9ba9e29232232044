package curv

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/enum"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// Method selects how curvature matrices are computed.
type Method int

const (
	// Auto uses the Kronecker factorization (Factors) whenever it is exact for the quantity
	// asked for, and exact per-sample Hessian-vector products otherwise.
	Auto Method = iota
	// Factorized insists on the Kronecker factorization and returns an error wrapping
	// ErrNotFactorizable where its assumptions fail.
	Factorized
	// HVP always uses the general route: per-sample gradients and exact per-sample
	// Hessian-vector products from lib/nn (forward-over-reverse).
	HVP
)

var methodNames = [...]string{Auto: "auto", Factorized: "factorized", HVP: "hvp"}

func (m Method) String() string { return enum.Name(m, methodNames[:], "Method") }

// ErrNotFactorizable is wrapped when the Kronecker factorization is asked for but does not
// hold (joint blocks, non-dense targets, smooth activations downstream for Hessians).
var ErrNotFactorizable = errors.New("curv: Kronecker factorization does not apply")

// ErrInput is wrapped by errors about bad inputs (empty data, non-finite weights, labels).
var ErrInput = errors.New("curv: invalid input")

// Problem is everything a curvature computation needs: the model at the point of analysis,
// the loss, the training subset (one row per sample) with its labels, and the target block.
// The model is not modified (the HVP route runs on its own clone).
type Problem struct {
	Model  *nn.Model
	Loss   nn.Loss
	X      *mat.Dense
	Labels []int
	Block  nn.Block
	// Method chooses the route (default Auto).
	Method Method
	// Budget limits dense allocations (0 = DefaultBudget, negative = unlimited).
	Budget Budget
	// Chunk is the number of samples per chunk of the chunked products (0 = 2048).
	Chunk int

	factors *Factors
	fErr    error
	fDone   bool
	// ctx, set by AnalyzeContext for its duration, is polled by the long loops.
	ctx context.Context
}

// canceled returns the error of the context AnalyzeContext set, wrapped, or nil.
func (p *Problem) canceled() error {
	if p.ctx == nil {
		return nil
	}
	if err := p.ctx.Err(); err != nil {
		return fmt.Errorf("curv: analysis canceled: %w", err)
	}
	return nil
}

func (p *Problem) chunk() int {
	if p.Chunk > 0 {
		return p.Chunk
	}
	return 2048
}

// N returns the number of samples.
func (p *Problem) N() int {
	if p.X == nil {
		return 0
	}
	r, _ := p.X.Dims()
	return r
}

// Validate checks the problem: non-empty data, matching labels in range, a block whose layers
// exist, and finite parameters. Every exported entry point calls it.
func (p *Problem) Validate() error {
	if p == nil || p.Model == nil {
		return fmt.Errorf("%w: Problem.Model is nil", ErrInput)
	}
	if p.Loss == nil {
		return fmt.Errorf("%w: Problem.Loss is nil", ErrInput)
	}
	if p.X == nil || p.X.IsEmpty() {
		return fmt.Errorf("%w: Problem.X is empty: need at least one sample (empty subset?)", ErrInput)
	}
	n, c := p.X.Dims()
	if n == 0 {
		return fmt.Errorf("%w: Problem.X has no rows: need at least one sample (empty subset?)", ErrInput)
	}
	if want := p.Model.Spec.In.Size(); c != want {
		return fmt.Errorf("%w: Problem.X has %d columns, the model expects %d", ErrInput, c, want)
	}
	if len(p.Labels) != n {
		return fmt.Errorf("%w: Problem.Labels has %d entries, Problem.X has %d rows", ErrInput, len(p.Labels), n)
	}
	classes := p.Model.Classes()
	for i, y := range p.Labels {
		if y < 0 || y >= classes {
			return fmt.Errorf("%w: Problem.Labels[%d] = %d, want 0..%d", ErrInput, i, y, classes-1)
		}
	}
	if len(p.Block.Layers) == 0 {
		return fmt.Errorf("%w: Problem.Block has no layers", ErrInput)
	}
	for _, name := range p.Block.Layers {
		if _, err := p.Model.LayerIndex(name); err != nil {
			return fmt.Errorf("%w: Problem.Block: %w", ErrInput, err)
		}
	}
	if _, err := p.Model.BlockSize(p.Block); err != nil {
		return fmt.Errorf("%w: Problem.Block: %w", ErrInput, err)
	}
	for _, par := range p.Model.Params() {
		for i, v := range par.Value {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: parameter %s[%d] = %v is not finite", ErrInput, par.Name, i, v)
			}
		}
	}
	xr := p.X.RawMatrix()
	for i := 0; i < n; i++ {
		for j, v := range xr.Data[i*xr.Stride : i*xr.Stride+c] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: Problem.X[%d,%d] = %v is not finite", ErrInput, i, j, v)
			}
		}
	}
	return nil
}

// Dim returns the block size D.
func (p *Problem) Dim() (int, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	return p.Model.BlockSize(p.Block)
}

// Factors returns the Kronecker factors of the problem's single dense layer (computed once
// and cached), or an error wrapping ErrNotFactorizable.
func (p *Problem) Factors() (*Factors, error) {
	if p.fDone {
		return p.factors, p.fErr
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	p.factors, p.fErr = NewFactors(p.Model, p.Loss, p.X, p.Labels, p.Block)
	p.fDone = true
	return p.factors, p.fErr
}

// Reset drops cached factors (call it after changing the model's weights or the data).
func (p *Problem) Reset() { p.factors, p.fErr, p.fDone = nil, nil, false }

// route decides between factors and HVP. needPL says the quantity needs the network to be
// piecewise linear in the block (Hessians); gradient-type quantities only need a single dense
// layer. It returns (factors, nil) for the factorized route and (nil, nil) for the HVP route.
func (p *Problem) route(what string, needPL bool) (*Factors, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Method == HVP {
		return nil, nil
	}
	f, err := p.Factors()
	if err == nil && needPL && !f.PiecewiseLinear {
		err = fmt.Errorf("%w: %s of layer %s: %s; use Method HVP (exact per-sample Hessian-vector products)",
			ErrNotFactorizable, what, f.Layer, f.Reason)
	}
	if err != nil {
		if p.Method == Factorized {
			return nil, err
		}
		return nil, nil
	}
	return f, nil
}
