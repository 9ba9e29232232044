package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/noisecurv/noisecurv/internal/testkit"
)

// TestBlockedSgemm compares blockedSgemm with a float64 triple loop for every transpose
// combination, edge sizes around the blocking (mr 6, nr 16, kc 256, mc 96), strides larger
// than the rows, and alpha/beta. Each entry must agree to float32 accuracy: |error| below
// 1e-5 times the sum of |terms| (observed about 1e-7).
func TestBlockedSgemm(t *testing.T) {
	// NaN in C must not survive beta = 0 (the store path overwrites, never reads).
	if !hasSgemmKernel {
		t.Skip("no AVX2/FMA kernel on this machine")
	}
	rng := testkit.NewRand(9)
	for _, sh := range [][3]int{{1, 1, 1}, {6, 16, 1}, {7, 17, 3}, {5, 33, 300}, {97, 15, 257}, {13, 2100, 20}, {64, 9, 1568}} {
		for i, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			m, n, k := sh[0], sh[1], sh[2]
			tA, tB := tr[0], tr[1]
			// alpha 1 and beta 0 or 1 take the kernel's store and accumulate paths.
			ab := [][2]float32{{0.75, -0.5}, {1, 0}, {1, 1}, {1, 0}}[i]
			alpha, beta := ab[0], ab[1]
			name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/alpha=%v/beta=%v", m, n, k, tA, tB, alpha, beta)
			ar, ac := m, k
			if tA {
				ar, ac = k, m
			}
			br, bc := k, n
			if tB {
				br, bc = n, k
			}
			lda, ldb, ldc := ac+2, bc+1, n+3
			a := make([]float32, ar*lda)
			b := make([]float32, br*ldb)
			c := make([]float32, m*ldc)
			for i := range a {
				a[i] = float32(rng.NormFloat64())
			}
			for i := range b {
				b[i] = float32(rng.NormFloat64())
			}
			for i := range c {
				c[i] = float32(rng.NormFloat64())
				if beta == 0 && i%ldc < n {
					c[i] = float32(math.NaN())
				}
			}
			c0 := append([]float32(nil), c...)
			blockedSgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			at := func(i, p int) float64 {
				if tA {
					return float64(a[p*lda+i])
				}
				return float64(a[i*lda+p])
			}
			bt := func(p, j int) float64 {
				if tB {
					return float64(b[j*ldb+p])
				}
				return float64(b[p*ldb+j])
			}
			for i := 0; i < m; i++ {
				for j := 0; j < ldc; j++ {
					got := float64(c[i*ldc+j])
					if j >= n {
						if c[i*ldc+j] != c0[i*ldc+j] {
							t.Fatalf("%s: C[%d,%d] outside the matrix was written", name, i, j)
						}
						continue
					}
					want := 0.0
					if beta != 0 {
						want = float64(beta) * float64(c0[i*ldc+j])
					}
					bound := math.Abs(want)
					for p := 0; p < k; p++ {
						want += float64(alpha) * at(i, p) * bt(p, j)
						bound += math.Abs(float64(alpha) * at(i, p) * bt(p, j))
					}
					if !(math.Abs(got-want) <= 1e-5*bound) {
						t.Fatalf("%s: C[%d,%d] = %v, want %v", name, i, j, got, want)
					}
				}
			}
		}
	}
}
