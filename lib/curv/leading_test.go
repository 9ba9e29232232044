package curv

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestLeadingWeightRayleighNegatives(t *testing.T) {
	for _, loss := range []string{"ce", "mse"} {
		p := makeProblem(t, netCase{spec: mlpSpec(8, []int{6, 5}, 4, "relu", false), loss: loss, block: block(false, "fc2"), n: 15}, 11)
		f, err := p.Factors()
		if err != nil {
			t.Fatal(err)
		}
		sp, err := f.Spectra(0)
		if err != nil {
			t.Fatal(err)
		}
		vals, vecs, err := EigenBasis(p, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		H, err := Hessian(p)
		if err != nil {
			t.Fatal(err)
		}
		k1 := sp.Leading()
		all, err := sp.LeadingWeight(vecs, 0)
		if err != nil {
			t.Fatal(err)
		}
		sp1, err := f.Spectra(1)
		if err != nil {
			t.Fatal(err)
		}
		ray, err := sp1.LeadingRayleigh(vals, vecs, 0)
		if err != nil {
			t.Fatal(err)
		}
		idx := make([]int, p.N())
		for i := range idx {
			idx[i] = i
		}
		hs, err := PerSampleHessians(p, idx)
		if err != nil {
			t.Fatal(err)
		}
		explicitNeg := 0
		kmax := sp.KappaMax()
		for i := 0; i < p.N(); i++ {
			if sp.Rank[i] == 0 {
				continue
			}
			// A unit vector's weights on a full orthonormal basis sum to 1.
			if math.Abs(all[i]-1) > 1e-9 {
				t.Errorf("%s sample %d: leading weight on all directions %g, want 1", loss, i, all[i])
			}
			u := mat.NewVecDense(len(vals), sp.Vector(i, 0))
			var hu mat.VecDense
			hu.MulVec(H, u)
			if want := mat.Dot(u, &hu) / vals[0]; math.Abs(ray[i]-want) > 1e-9 {
				t.Errorf("%s sample %d: Rayleigh %g, explicit %g", loss, i, ray[i], want)
			}
			var eig mat.EigenSym
			if !eig.Factorize(hs[i], false) {
				t.Fatal("eigendecomposition failed")
			}
			// κ_p1 is an eigenvalue of h_p, at least as large as every non-null one (a stored
			// mode can be a numerical zero, and softmax+MSE can have only negative ones).
			ev := eig.Values(nil)
			tol := 1e-9 * kmax
			found := false
			for _, v := range ev {
				found = found || math.Abs(v-k1[i]) <= tol
				if math.Abs(v) > tol && v > k1[i]+tol {
					t.Errorf("%s sample %d: κ_p1 %g below the eigenvalue %g of h_p", loss, i, k1[i], v)
				}
			}
			if !found {
				t.Errorf("%s sample %d: κ_p1 %g is no eigenvalue of h_p", loss, i, k1[i])
			}
			for _, v := range ev {
				if v < -1e-8*kmax {
					explicitNeg++
				}
			}
		}
		if neg := sp.Negatives(1e-8); neg.Modes != explicitNeg || (loss == "ce" && neg.Modes != 0) || (loss == "mse" && neg.Modes == 0) {
			t.Errorf("%s: %d negative modes, explicit %d (want none for CE, some for MSE)", loss, neg.Modes, explicitNeg)
		}
	}
}
