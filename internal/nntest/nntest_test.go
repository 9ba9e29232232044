package nntest

import (
	"fmt"
	"testing"

	"github.com/noisecurv/noisecurv/lib/nn"
)

// TestModelScales: scale 1 gives nn.Build's model bit for bit, scale s multiplies every
// parameter tensor of every layer by s.
func TestModelScales(t *testing.T) {
	spec := nn.MLP(6, []int{5, 4}, 3, nn.KindReLU)
	ref, err := nn.Build(spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, scale := range []float64{1, 2.5} {
		m := Model(t, spec, 3, scale)
		ps, rs := m.Params(), ref.Params()
		if len(ps) != len(rs) || len(ps) == 0 {
			t.Fatalf("scale %v: %d parameter tensors, nn.Build has %d", scale, len(ps), len(rs))
		}
		for k := range ps {
			for i, v := range ps[k].Value {
				if want := scale * rs[k].Value[i]; v != want {
					t.Fatalf("scale %v: tensor %d entry %d = %v, want %v", scale, k, i, v, want)
				}
			}
		}
	}
}

func TestLoss(t *testing.T) {
	for _, name := range []string{nn.LossCE, nn.LossMSE} {
		want, err := nn.LossByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := Loss(t, name); got != want {
			t.Errorf("Loss(%q) = %#v, want %#v", name, got, want)
		}
	}
}

// recorder is a testing.TB that records Fatalf instead of stopping the test.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Fatalf(format string, a ...any) { r.msg = fmt.Sprintf(format, a...) }

// TestFailures: a spec that does not build and an unknown loss fail the test, naming the cause.
func TestFailures(t *testing.T) {
	var r recorder
	if m := Model(&r, nn.MLP(0, nil, 3, nn.KindReLU), 1, 2); m != nil || r.msg == "" {
		t.Errorf("zero-width input: model %v, failure %q; want nil and a failure", m, r.msg)
	}
	r.msg = ""
	Loss(&r, "hinge")
	if r.msg == "" {
		t.Error("unknown loss: no failure")
	}
}
