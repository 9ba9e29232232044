package explore

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/curv"
)

func TestBlockShareAndLocalized(t *testing.T) {
	v := mat.NewDense(4, 3, []float64{
		1, 0, 1,
		0, 0, 1,
		0, 1, 1,
		0, 0, 1,
	})
	got := curv.BlockShare(v, 2)
	want := []float64{1, 0, 0.5}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Errorf("share %d = %v, want %v", i, got[i], want[i])
		}
	}
	jb := &JointBlock{Share: got}
	if n := jb.Localized(0.9); n != 2 {
		t.Errorf("Localized = %d, want 2", n)
	}
}
