package linalg

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestRelFrobenius(t *testing.T) {
	a := mat.NewSymDense(2, []float64{1, 2, 2, 3})
	b := mat.NewSymDense(2, []float64{1, 0, 0, 4})
	var d mat.Dense
	d.Sub(a, b)
	want := mat.Norm(&d, 2) / mat.Norm(b, 2) // independent: full dense norms
	if got := RelFrobenius(a, b); math.Abs(got-want) > 1e-15 {
		t.Errorf("RelFrobenius = %v, want %v", got, want)
	}
	if !math.IsNaN(RelFrobenius(a, mat.NewSymDense(2, nil))) {
		t.Error("B = 0 not NaN")
	}
}
