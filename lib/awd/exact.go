package awd

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// Exactness is the check of the duality l(x_q; W) = l(x_p; W + ΔW*_p) on matched pairs (p, q).
type Exactness struct {
	Pairs int
	// MaxRelLogit is max |z(x_p; W+ΔW*) − z(x_q; W)| / max(|z(x_q; W)|, 1) over the pairs
	// (relative, and absolute for logits of norm below 1, e.g. a sample whose activity dies
	// in a later ReLU layer); MedianRelLogit its median. MaxRelLoss compares the losses.
	MaxRelLogit, MaxRelLoss  float64
	MedianRelLogit           float64
	MeanRelDist, MeanRelStep float64 // mean |Δa|/|a| and mean |ΔW*|_F/|W|_F
}

// CheckExactness checks the duality on up to maxPairs pairs of the problem's samples matched
// with opts on the target layer's input activities: the logits of x_p under W + ΔW*_p must
// equal those of the partner x_q under W, and so must the losses (with q's label). The
// problem's target must be one dense layer; its model is not modified.
func CheckExactness(p *curv.Problem, opts MatchOptions, maxPairs int) (Exactness, error) {
	var out Exactness
	if len(p.Block.Layers) != 1 {
		return out, fmt.Errorf("%w: CheckExactness: Block %v: the duality is defined for ONE dense layer", ErrInput, p.Block.Layers)
	}
	if maxPairs <= 0 {
		return out, fmt.Errorf("%w: CheckExactness: maxPairs = %d, want > 0", ErrInput, maxPairs)
	}
	m := p.Model.Clone()
	k, err := m.LayerIndex(p.Block.Layers[0])
	if err != nil {
		return out, fmt.Errorf("awd: CheckExactness: %w", err)
	}
	dl, ok := m.Layers[k].(*nn.Dense)
	if !ok {
		return out, fmt.Errorf("%w: CheckExactness: target %q is not a dense layer", ErrInput, p.Block.Layers[0])
	}
	m.Forward(p.X)
	acts := mat.DenseCopyOf(m.Acts[k])
	mt, err := Match(acts, p.Labels, opts)
	if err != nil {
		return out, err
	}
	w0 := append([]float64(nil), dl.W.Value...)
	W := mat.NewDense(dl.Out, dl.In, append([]float64(nil), w0...))
	wn := mat.Norm(W, 2)
	_, cols := p.X.Dims()
	row := func(i int) *mat.Dense { return p.X.Slice(i, i+1, 0, cols).(*mat.Dense) }
	var rels []float64
	for i := 0; i < len(mt.Partner) && out.Pairs < maxPairs; i++ {
		q := mt.Partner[i]
		if q < 0 {
			continue
		}
		a, aq := acts.RawRowView(i), acts.RawRowView(q)
		dW, err := DualWeight(W, a, aq)
		if err != nil {
			continue // a zero activity has no dual weight
		}
		copy(dl.W.Value, w0)
		zq := mat.DenseCopyOf(m.Forward(row(q)))
		lq, _ := p.Loss.Eval(zq, []int{p.Labels[q]})
		raw := dW.RawMatrix()
		for o := 0; o < dl.Out; o++ {
			for j := 0; j < dl.In; j++ {
				dl.W.Value[o*dl.In+j] = w0[o*dl.In+j] + raw.Data[o*raw.Stride+j]
			}
		}
		zp := mat.DenseCopyOf(m.Forward(row(i)))
		lp, _ := p.Loss.Eval(zp, []int{p.Labels[q]})
		var diff mat.Dense
		diff.Sub(zp, zq)
		rel := mat.Norm(&diff, 2) / math.Max(mat.Norm(zq, 2), 1)
		rels = append(rels, rel)
		out.MaxRelLogit = math.Max(out.MaxRelLogit, rel)
		out.MaxRelLoss = math.Max(out.MaxRelLoss, math.Abs(lp[0]-lq[0])/math.Max(math.Abs(lq[0]), 1e-300))
		var da float64
		for j := range a {
			da += (aq[j] - a[j]) * (aq[j] - a[j])
		}
		out.MeanRelDist += math.Sqrt(da / dot(a, a))
		out.MeanRelStep += mat.Norm(dW, 2) / wn
		out.Pairs++
	}
	if out.Pairs == 0 {
		return out, fmt.Errorf("awd: CheckExactness: no matched pair with a non-zero activity")
	}
	out.MeanRelDist /= float64(out.Pairs)
	out.MeanRelStep /= float64(out.Pairs)
	out.MedianRelLogit = fit.Median(rels)
	return out, nil
}

// IsotropicFit compares C with the isotropic AWD prediction (σ_w²/2B) E_p[h_p²] over the
// first n directions (H's top modes; n <= 0: all): the log-log fit of C_ii on [E h²]_ii
// (slope 1 when C ∝ E h²; NaN slope and R² when the fit fails) and the σ_w² that makes the
// prediction match C on average, 2B × the geometric mean of C_ii / [E h²]_ii over the
// directions where both are positive (NaN when there are none). Compare it with
// Result.SigmaW2, the σ_w² the dual weights themselves give.
func IsotropicFit(eh2, c []float64, n, batch int) (fit.Result, float64) {
	r, _ := fit.LogLogOrNaN(eh2, c, fit.Options{TopN: n})
	r.Used = nil
	m := min(len(eh2), len(c))
	if n > 0 {
		m = min(m, n)
	}
	var s float64
	k := 0
	for i := 0; i < m; i++ {
		if eh2[i] > 0 && c[i] > 0 {
			s += math.Log(c[i] / eh2[i])
			k++
		}
	}
	if k == 0 {
		return r, math.NaN()
	}
	return r, 2 * float64(batch) * math.Exp(s/float64(k))
}
