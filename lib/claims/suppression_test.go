package claims

import (
	"testing"
)

func TestC6SpreadSamples(t *testing.T) {
	x := []float64{0.1, 5, 3, 0.5, 9}
	got := c6SpreadSamples(x, 3)
	want := []int{4, 2, 0} // stiffest, middle, softest
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("c6SpreadSamples = %v, want %v", got, want)
		}
	}
}
