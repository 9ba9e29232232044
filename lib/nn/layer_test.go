package nn

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
)

// layerCases are single-layer models whose Backward is checked against central differences.
var layerCases = []Spec{
	{In: Shape{5, 1, 1}, Layers: []LayerSpec{{Kind: KindDense, Out: 4}}},
	{In: Shape{5, 1, 1}, Layers: []LayerSpec{{Kind: KindDense, Out: 4, Bias: true}}},
	{In: Shape{2, 3, 3}, Layers: []LayerSpec{{Kind: KindDense, Out: 3, Bias: true}}},
	{In: Shape{2, 5, 6}, Layers: []LayerSpec{{Kind: KindConv2D, Out: 3, Bias: true}}},
	{In: Shape{1, 4, 4}, Layers: []LayerSpec{{Kind: KindConv2D, Out: 2}}},
	{In: Shape{3, 1, 5}, Layers: []LayerSpec{{Kind: KindConv2D, Out: 2, Bias: true}}},
	{In: Shape{2, 5, 4}, Layers: []LayerSpec{{Kind: KindMaxPool}}},
	{In: Shape{3, 4, 5}, Layers: []LayerSpec{{Kind: KindAvgPool}}},
	{In: Shape{2, 3, 3}, Layers: []LayerSpec{{Kind: KindFlatten}}},
	{In: Shape{2, 3, 3}, Layers: []LayerSpec{{Kind: KindReLU}}},
	{In: Shape{7, 1, 1}, Layers: []LayerSpec{{Kind: KindTanh}}},
}

func TestLayerGradients(t *testing.T) {
	for ci, spec := range layerCases {
		ls := spec.Layers[0]
		t.Run(fmt.Sprintf("%s_in%v_out%d_bias%v", ls.Kind, spec.In, ls.Out, ls.Bias), func(t *testing.T) {
			const n = 3
			m, x, _ := smoothCase(t, spec, n, uint64(10*ci+1))
			l := m.Layers[0]
			out := l.OutShape().Size()
			w := randDense(testkit.NewRand(uint64(ci)+77), n, out, 1)
			// f(x, theta) = sum(w .* layer(x)), so dy = w.
			f := func() float64 {
				return mat.Sum(mulElem(w, l.Forward(x)))
			}
			y := l.Forward(x)
			m.ZeroGrad()
			dx := l.Backward(x, y, w, true)

			x0 := flat(x)
			num := fd.Gradient(nil, func(v []float64) float64 {
				xs := mat.NewDense(n, spec.In.Size(), append([]float64(nil), v...))
				return mat.Sum(mulElem(w, l.Forward(xs)))
			}, x0, fdSettings)
			e := relErr(flat(dx), num)
			t.Logf("input gradient relative error %.2e", e)
			if e > fdTol {
				t.Errorf("input gradient: relative error %.3g > %g", e, fdTol)
			}
			if ps := l.Params(); ps != nil {
				th := flatParams(ps)
				num := fd.Gradient(nil, func(v []float64) float64 {
					setParams(ps, v)
					return f()
				}, th, fdSettings)
				setParams(ps, th)
				e := relErr(flatGrads(ps), num)
				t.Logf("parameter gradient relative error %.2e", e)
				if e > fdTol {
					t.Errorf("parameter gradient: relative error %.3g > %g", e, fdTol)
				}
				// accumulate adds: a second call doubles the gradient; accumulate=false
				// leaves it alone.
				g1 := flatGrads(ps)
				l.Backward(x, y, w, true)
				l.Backward(x, y, w, false)
				g2 := flatGrads(ps)
				for i := range g1 {
					g1[i] *= 2
				}
				if e := relErr(g2, g1); e > 1e-14 {
					t.Fatalf("accumulate: second Backward gives relative error %.3g vs twice the first", e)
				}
			}
			// The R-operator forward map of a layer with fixed parameters is its Jacobian.
			if tl, ok := l.(tangentLayer); ok {
				rx := randDense(testkit.NewRand(uint64(ci)+99), n, spec.In.Size(), 1)
				ry := tl.jvp(x, y, rx)
				// <w, J rx> must equal <J^T w, rx> = <dx, rx>.
				lhs := mat.Sum(mulElem(w, ry))
				rhs := mat.Sum(mulElem(dx, rx))
				if e := relErr([]float64{lhs}, []float64{rhs}); e > 1e-12 {
					t.Errorf("jvp is not the adjoint of Backward: %g vs %g", lhs, rhs)
				}
			}
		})
	}
}

func mulElem(a, b *mat.Dense) *mat.Dense {
	var c mat.Dense
	c.MulElem(a, b)
	return &c
}

// TestConvMatchesDirect compares the im2col convolution with a direct 7-loop implementation.
func TestConvMatchesDirect(t *testing.T) {
	spec := Spec{In: Shape{2, 4, 5}, Layers: []LayerSpec{{Kind: KindConv2D, Out: 3, Bias: true}}}
	m, err := Build(spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Layers[0].(*Conv2D)
	x := randDense(testkit.NewRand(4), 2, spec.In.Size(), 1)
	y := c.Forward(x)
	C, H, W := 2, 4, 5
	for s := 0; s < 2; s++ {
		xs := row(x, s)
		for o := 0; o < 3; o++ {
			for i := 0; i < H; i++ {
				for j := 0; j < W; j++ {
					want := c.B.Value[o]
					for ch := 0; ch < C; ch++ {
						for u := 0; u < 3; u++ {
							for v := 0; v < 3; v++ {
								ii, jj := i+u-1, j+v-1
								if ii < 0 || ii >= H || jj < 0 || jj >= W {
									continue
								}
								want += c.W.Value[((o*C+ch)*3+u)*3+v] * xs[(ch*H+ii)*W+jj]
							}
						}
					}
					got := y.At(s, (o*H+i)*W+j)
					if e := relErr([]float64{got}, []float64{want}); e > 1e-13 {
						t.Fatalf("sample %d out (%d,%d,%d): %g, want %g", s, o, i, j, got, want)
					}
				}
			}
		}
	}
}

func TestMaxPoolFloorsOddSizes(t *testing.T) {
	spec := Spec{In: Shape{1, 3, 5}, Layers: []LayerSpec{{Kind: KindMaxPool}}}
	m, err := Build(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Layers[0].OutShape(); got != (Shape{1, 1, 2}) {
		t.Fatalf("out shape %v, want 1x1x2", got)
	}
	x := mat.NewDense(1, 15, []float64{
		1, 2, 3, 9, 100,
		4, 0, 5, 1, 100,
		100, 100, 100, 100, 100,
	})
	y := m.Forward(x)
	if y.At(0, 0) != 4 || y.At(0, 1) != 9 {
		t.Fatalf("maxpool = %v, want [4 9]", flat(y))
	}
}

// TestConvChunks runs a conv layer whose batch spans several Gemm chunks and compares with
// one sample at a time (outputs, input gradients and accumulated parameter gradients).
func TestConvChunks(t *testing.T) {
	spec := Spec{In: Shape{8, 32, 32}, Layers: []LayerSpec{{Kind: KindConv2D, Out: 3, Bias: true}}}
	m, err := Build(spec, 2)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Layers[0].(*Conv2D)
	const n = 7
	if S, _, _, _ := c.chunk(n); S >= n {
		t.Fatalf("chunk size %d does not split a batch of %d", S, n)
	}
	rng := testkit.NewRand(3)
	x := randDense(rng, n, spec.In.Size(), 1)
	dy := randDense(rng, n, c.OutShape().Size(), 1)
	y := c.Forward(x)
	m.ZeroGrad()
	dx := c.Backward(x, y, dy, true)
	batchGrad := flatGrads(c.Params())
	m.ZeroGrad()
	for s := 0; s < n; s++ {
		xs := mat.NewDense(1, spec.In.Size(), append([]float64(nil), row(x, s)...))
		dys := mat.NewDense(1, c.OutShape().Size(), append([]float64(nil), row(dy, s)...))
		ys := c.Forward(xs)
		if e := relErr(row(ys, 0), row(y, s)); e > 1e-14 {
			t.Fatalf("sample %d: output differs by %g", s, e)
		}
		dxs := c.Backward(xs, ys, dys, true)
		if e := relErr(row(dxs, 0), row(dx, s)); e > 1e-14 {
			t.Fatalf("sample %d: input gradient differs by %g", s, e)
		}
	}
	if e := relErr(batchGrad, flatGrads(c.Params())); e > 1e-13 {
		t.Fatalf("parameter gradients differ by %g", e)
	}
}
