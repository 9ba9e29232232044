package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
)

// Test tolerances (float64). Central differences with step ~1e-5 are accurate to ~1e-9
// relative on these smooth-enough functions; the bar is 1e-6. Hyperdual numbers are exact to
// rounding; the bar is 1e-8.
const (
	fdTol = 1e-6
	hdTol = 1e-8
	// kinkMargin is the smallest allowed distance of a ReLU input from 0, or of a max-pool
	// window's maximum from its runner-up, so that finite-difference steps never cross a kink.
	kinkMargin = 2e-4
)

var fdSettings = &fd.Settings{Formula: fd.Central, Step: 1e-5}

func randDense(rng *rand.Rand, r, c int, scale float64) *mat.Dense {
	d := make([]float64, r*c)
	for i := range d {
		d[i] = scale * rng.NormFloat64()
	}
	return mat.NewDense(r, c, d)
}

func randLabels(rng *rand.Rand, n, classes int) []int {
	y := make([]int, n)
	for i := range y {
		y[i] = rng.IntN(classes)
	}
	return y
}

func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// relErr is |a - b|_2 / |b|_2 (|a - b|_2 when b = 0).
func relErr(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := make([]float64, len(a))
	floats.SubTo(d, a, b)
	nb := floats.Norm(b, 2)
	if nb == 0 {
		return floats.Norm(d, 2)
	}
	return floats.Norm(d, 2) / nb
}

func flat(m mat.Matrix) []float64 {
	r, c := m.Dims()
	out := make([]float64, 0, r*c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out = append(out, m.At(i, j))
		}
	}
	return out
}

func flatParams(ps []*Param) []float64 {
	var v []float64
	for _, p := range ps {
		v = append(v, p.Value...)
	}
	return v
}

func flatGrads(ps []*Param) []float64 {
	var v []float64
	for _, p := range ps {
		v = append(v, p.Grad...)
	}
	return v
}

func setParams(ps []*Param, v []float64) {
	for _, p := range ps {
		copy(p.Value, v[:len(p.Value)])
		v = v[len(p.Value):]
	}
}

// kinkDistance returns the smallest distance to a non-differentiable point over all ReLU
// inputs and max-pool windows in the activations of the last Forward.
func kinkDistance(m *Model) float64 {
	d := math.Inf(1)
	for i, l := range m.Layers {
		x := m.Acts[i]
		switch l := l.(type) {
		case *ReLU:
			for _, v := range flat(x) {
				d = math.Min(d, math.Abs(v))
			}
		case *MaxPool2:
			d = math.Min(d, poolGap(l, x))
		}
	}
	return d
}

// poolGap is the smallest gap between the largest and second largest entry of any window.
// Only valid when the windows' exact zeros come from a preceding ReLU.
func poolGap(p *MaxPool2, x *mat.Dense) float64 {
	n, _ := x.Dims()
	out := p.OutShape()
	W := p.In.W
	d := math.Inf(1)
	for s := 0; s < n; s++ {
		xs := row(x, s)
		for c := 0; c < out.C; c++ {
			for oi := 0; oi < out.H; oi++ {
				for oj := 0; oj < out.W; oj++ {
					b := c*p.In.H*W + 2*oi*W + 2*oj
					w := []float64{xs[b], xs[b+1], xs[b+W], xs[b+W+1]}
					best, second := math.Inf(-1), math.Inf(-1)
					for _, v := range w {
						if v > best {
							best, second = v, best
						} else if v > second {
							second = v
						}
					}
					if best == 0 && second == 0 {
						// Ties among ReLU zeros (inputs kept kinkMargin below 0) stay
						// exact zeros under small perturbations: no kink.
						continue
					}
					d = math.Min(d, best-second)
				}
			}
		}
	}
	return d
}

// smoothCase builds spec with the first seed (from seed on) whose random batch keeps every
// ReLU and max-pool at least kinkMargin away from a kink.
func smoothCase(t testing.TB, spec Spec, n int, seed uint64) (*Model, *mat.Dense, []int) {
	t.Helper()
	for try := uint64(0); try < 200; try++ {
		m, err := Build(spec, seed+try)
		if err != nil {
			t.Fatal(err)
		}
		rng := testkit.NewRand(seed + try + 1000)
		x := randDense(rng, n, spec.In.Size(), 1)
		labels := randLabels(rng, n, m.Classes())
		m.Forward(x)
		if kinkDistance(m) > kinkMargin {
			return m, x, labels
		}
	}
	t.Fatalf("no seed keeps %v away from ReLU/max-pool kinks", spec)
	return nil, nil, nil
}

var allLosses = []Loss{CrossEntropy{}, SoftmaxMSE{}, LogitMSE{}}

func sum(v []float64) float64 { return floats.Sum(v) }
