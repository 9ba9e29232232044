package experiment

import (
	"context"
	"math"
	"testing"

	"github.com/noisecurv/noisecurv/lib/curv"
	"gonum.org/v1/gonum/mat"
)

// tinyFinal trains the tiny run in a fresh cache and returns its handle, its final target
// layer and that layer's problem at the final epoch.
func tinyFinal(t *testing.T) (*Handle, *Layer, *curv.Problem) {
	t.Helper()
	needMNIST(t)
	h, err := Open(tiny(t), Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	l, err := h.Final(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := h.Problem(context.Background(), FinalEpoch, l.Target)
	if err != nil {
		t.Fatal(err)
	}
	return h, l, p
}

func TestHandleEigenbasis(t *testing.T) {
	h, l, p := tinyFinal(t)
	f, err := p.Factors()
	if err != nil {
		t.Fatal(err)
	}
	vals, V, err := h.Eigenbasis(l, f)
	if err != nil {
		t.Fatal(err)
	}
	// The eigenvectors are orthonormal and diagonalize H with the stored eigenvalues.
	H, err := f.Hessian(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var hv mat.Dense
	hv.Mul(H, V)
	d, _ := V.Dims()
	for i := 0; i < d; i++ {
		if math.Abs(vals[i]-l.H[i]) > 1e-12*math.Abs(l.H[0]) {
			t.Fatalf("eigenvalue %d: %g, stored %g", i, vals[i], l.H[i])
		}
		for r := 0; r < d; r++ {
			if e := math.Abs(hv.At(r, i) - vals[i]*V.At(r, i)); e > 1e-9*math.Abs(vals[0]) {
				t.Fatalf("H v_%d differs from λ v by %g", i, e)
			}
		}
	}
	// The second call reads the cached entry: the same basis.
	vals2, V2, err := h.Eigenbasis(l, f)
	if err != nil || !mat.Equal(V, V2) || vals2[0] != vals[0] {
		t.Fatalf("cached basis differs (err %v)", err)
	}
}
