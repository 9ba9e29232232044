package nn

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
)

// evalOne evaluates a loss on one sample.
func evalOne(l Loss, z []float64, y int) (float64, []float64) {
	loss, g := l.Eval(mat.NewDense(1, len(z), append([]float64(nil), z...)), []int{y})
	return loss[0], row(g, 0)
}

func TestLossGradientAndHessian(t *testing.T) {
	rng := testkit.NewRand(5)
	for _, l := range allLosses {
		for _, C := range []int{2, 3, 10} {
			for trial := 0; trial < 4; trial++ {
				z := randVec(rng, C)
				for i := range z {
					z[i] *= 2
				}
				y := rng.IntN(C)
				_, g := evalOne(l, z, y)
				num := fd.Gradient(nil, func(v []float64) float64 {
					loss, _ := evalOne(l, v, y)
					return loss
				}, z, fdSettings)
				if e := relErr(g, num); e > fdTol {
					t.Errorf("%s C=%d: gradient relative error %.3g", l.Name(), C, e)
				}
				q := make([]float64, C*C)
				l.LogitHessian(z, y, q)
				jac := mat.NewDense(C, C, nil)
				fd.Jacobian(jac, func(dst, v []float64) {
					_, g := evalOne(l, v, y)
					copy(dst, g)
				}, z, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-5})
				e := relErr(q, flat(jac))
				if e > fdTol {
					t.Errorf("%s C=%d: logit Hessian relative error %.3g", l.Name(), C, e)
				}
				if trial == 0 {
					t.Logf("%s C=%d: logit Hessian vs fd relative error %.2e", l.Name(), C, e)
				}
				for a := 0; a < C; a++ {
					for b := 0; b < C; b++ {
						if q[a*C+b] != q[b*C+a] {
							t.Fatalf("%s: Q not symmetric", l.Name())
						}
					}
				}
			}
		}
	}
}

func TestLossValues(t *testing.T) {
	z := []float64{1, -0.5, 2}
	var s float64
	for _, v := range z {
		s += math.Exp(v)
	}
	p := []float64{math.Exp(1) / s, math.Exp(-0.5) / s, math.Exp(2) / s}
	cases := []struct {
		l    Loss
		want float64
	}{
		{CrossEntropy{}, -math.Log(p[1])},
		{SoftmaxMSE{}, (p[0]*p[0] + (p[1]-1)*(p[1]-1) + p[2]*p[2]) / 3},
		{LogitMSE{}, (1 + 1.5*1.5 + 4) / 3},
	}
	for _, c := range cases {
		got, _ := evalOne(c.l, z, 1)
		if math.Abs(got-c.want) > 1e-15*math.Abs(c.want) {
			t.Errorf("%s: loss %.17g, want %.17g", c.l.Name(), got, c.want)
		}
	}
}

// TestCrossEntropyConfident checks full relative accuracy for a sample with logit margin 50:
// 1 - p_y ~ 9 e^-50 ~ 2e-21 is far below the float64 resolution of p_y.
func TestCrossEntropyConfident(t *testing.T) {
	const C = 10
	z := make([]float64, C)
	z[3] = 50
	loss, g := evalOne(CrossEntropy{}, z, 3)
	e := math.Exp(-50)
	pOther := e / (1 + 9*e)
	want := -9 * pOther
	var others float64
	for c, v := range g {
		if c != 3 {
			others += v
		}
	}
	if g[3] != -others {
		t.Errorf("grad_y = %g, want exactly -(sum of others) = %g", g[3], -others)
	}
	if r := math.Abs(g[3]-want) / math.Abs(want); r > 1e-14 {
		t.Errorf("grad_y = %.17g, want %.17g (relative error %.2g)", g[3], want, r)
	}
	if r := math.Abs(loss-9*e) / (9 * e); r > 1e-14 {
		t.Errorf("loss = %.17g, want log1p(9e^-50) = %.17g", loss, 9*e)
	}
	q := make([]float64, C*C)
	CrossEntropy{}.LogitHessian(z, 3, q)
	// Q_yy = p_y (1 - p_y) with 1 - p_y = 9 pOther.
	wantQ := (1 - 9*pOther) * 9 * pOther
	if r := math.Abs(q[3*C+3]-wantQ) / wantQ; r > 1e-14 {
		t.Errorf("Q_yy = %.17g, want %.17g", q[3*C+3], wantQ)
	}
	// Rows of Q sum to zero (softmax is shift invariant), to full relative accuracy here.
	var rs float64
	for b := 0; b < C; b++ {
		rs += q[3*C+b]
	}
	if math.Abs(rs) > 1e-14*wantQ {
		t.Errorf("row y of Q sums to %g", rs)
	}
	// softmax+MSE: the gradient keeps relative accuracy too. With p_c = pOther (c != y),
	// r_y = -9 pOther, u_y = r_y (1-p_y) - sum_{c != y} p_c^2 and g_y = (2/C) p_y u_y.
	_, gm := evalOne(SoftmaxMSE{}, z, 3)
	uy := -9*pOther*9*pOther - 9*pOther*pOther
	wantM := 2.0 / C * (1 - 9*pOther) * uy
	if r := math.Abs(gm[3]-wantM) / math.Abs(wantM); r > 1e-13 {
		t.Errorf("mse grad_y = %.17g, want %.17g", gm[3], wantM)
	}
}

// TestSoftmaxMSEIndefinite shows that the softmax+MSE logit Hessian can have negative
// eigenvalues (docs/science.md, C1), unlike cross-entropy's.
func TestSoftmaxMSEIndefinite(t *testing.T) {
	rng := testkit.NewRand(8)
	var foundNeg bool
	for trial := 0; trial < 50; trial++ {
		z := randVec(rng, 4)
		for i := range z {
			z[i] *= 3
		}
		y := rng.IntN(4)
		for _, l := range []Loss{CrossEntropy{}, SoftmaxMSE{}} {
			q := make([]float64, 16)
			l.LogitHessian(z, y, q)
			var eig mat.EigenSym
			if !eig.Factorize(mat.NewSymDense(4, q), false) {
				t.Fatal("eigendecomposition failed")
			}
			minEv := eig.Values(nil)[0]
			if l.Name() == LossCE && minEv < -1e-15 {
				t.Errorf("cross-entropy Q has eigenvalue %g < 0", minEv)
			}
			if l.Name() == LossMSE && minEv < -1e-6 {
				foundNeg = true
			}
		}
	}
	if !foundNeg {
		t.Error("no negative eigenvalue of the softmax+MSE Hessian in 50 random samples")
	}
}

func TestLossByName(t *testing.T) {
	for _, name := range []string{"ce", "mse", "logit-mse"} {
		l, err := LossByName(name)
		if err != nil || l.Name() != name {
			t.Errorf("LossByName(%q) = %v, %v", name, l, err)
		}
	}
	if _, err := LossByName("hinge"); err == nil {
		t.Error("LossByName(hinge): no error")
	}
}

func TestSoftmaxExtreme(t *testing.T) {
	p := Softmax(nil, []float64{1000, 0, -1000})
	if p[0] != 1 || p[1] != math.Exp(-1000) || p[2] != 0 {
		t.Errorf("Softmax = %v", p)
	}
}
