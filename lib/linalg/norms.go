package linalg

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// RelFrobenius returns |A − B|_F / |B|_F for symmetric A and B of the same size (NaN when
// B = 0), from the upper triangles.
func RelFrobenius(a, b mat.Symmetric) float64 {
	n := a.SymmetricDim()
	var num, den float64
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			w := 2.0
			if i == j {
				w = 1
			}
			d := a.At(i, j) - b.At(i, j)
			num += w * d * d
			den += w * b.At(i, j) * b.At(i, j)
		}
	}
	if den == 0 {
		return math.NaN()
	}
	return math.Sqrt(num / den)
}
