package claims

import (
	"math"
	"testing"
)

// TestC8IdentityWithNullDirections: exact zeros and negative values of H (dead units,
// softmax+MSE) are dropped from both fits, so the identity still holds.
func TestC8IdentityWithNullDirections(t *testing.T) {
	var h, c []float64
	for i := 0; i < 200; i++ {
		v := math.Pow(10, -3*float64(i)/200)
		h, c = append(h, v), append(c, math.Pow(v, 1.2))
	}
	h[50], h[60], c[70] = 0, -1e-9, 0
	cs := C8Criteria("x", h, c, h, 150)
	if cs[0].Kind != Identity || !cs[0].Passes() {
		t.Errorf("identity: %+v", cs[0])
	}
}
