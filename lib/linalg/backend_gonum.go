//go:build !openblas

package linalg

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	gonumlapack "gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

const backendName = "gonum"

func backendInfo() string {
	return fmt.Sprintf("gonum pure Go (blas64 implementation %T, GOMAXPROCS=%d)", blas64.Implementation(), runtime.GOMAXPROCS(0))
}

// syrkTile is the tile width of the pure-Go SymRankK. gonum's Dsyrk for
// C = A^T A is a serial loop of rank-1 (axpy) updates that streams all of A
// once per row of C, so instead the upper triangle of C is cut into
// syrkTile x syrkTile tiles, each one Dgemm over all N rows, shared out to
// GOMAXPROCS workers. 64 is gonum's own Dgemm block size, so each tile's
// Dgemm runs serially inside its worker. The diagonal tiles are computed in
// full, which wastes about syrkTile/(2d) of the flops (1.3% at d = 2500).
const syrkTile = 64

// syrk computes the upper triangle of c = alpha a^T a + beta c.
func syrk(alpha float64, a blas64.General, beta float64, c blas64.Symmetric) {
	n, d := a.Rows, a.Cols
	if alpha == 0 || n == 0 {
		scaleUpper(beta, c)
		return
	}
	panel := func(j0, j1 int) blas64.General {
		return blas64.General{Rows: n, Cols: j1 - j0, Stride: a.Stride, Data: a.Data[j0:]}
	}
	type tile struct{ i0, j0 int }
	nt := (d + syrkTile - 1) / syrkTile
	tiles := make(chan tile, nt*(nt+1)/2)
	// Diagonal tiles first: they are the most expensive per output entry.
	for i0 := 0; i0 < d; i0 += syrkTile {
		tiles <- tile{i0, i0}
	}
	for i0 := 0; i0 < d; i0 += syrkTile {
		for j0 := i0 + syrkTile; j0 < d; j0 += syrkTile {
			tiles <- tile{i0, j0}
		}
	}
	close(tiles)
	workers := min(runtime.GOMAXPROCS(0), cap(tiles))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			tmp := make([]float64, syrkTile*syrkTile)
			for tl := range tiles {
				i1, j1 := min(tl.i0+syrkTile, d), min(tl.j0+syrkTile, d)
				ai := panel(tl.i0, i1)
				if tl.i0 != tl.j0 {
					cij := blas64.General{Rows: i1 - tl.i0, Cols: j1 - tl.j0, Stride: c.Stride, Data: c.Data[tl.i0*c.Stride+tl.j0:]}
					blas64.Gemm(blas.Trans, blas.NoTrans, alpha, ai, panel(tl.j0, j1), beta, cij)
					continue
				}
				// Diagonal tile: into a temporary, so the strictly lower
				// part of c's storage is never touched, then c = t + beta c
				// on the upper part.
				m := i1 - tl.i0
				t := blas64.General{Rows: m, Cols: m, Stride: m, Data: tmp[:m*m]}
				blas64.Gemm(blas.Trans, blas.NoTrans, alpha, ai, ai, 0, t)
				for i := 0; i < m; i++ {
					r := tl.i0 + i
					crow := c.Data[r*c.Stride+r : r*c.Stride+i1]
					trow := t.Data[i*m+i : i*m+m]
					if beta == 0 {
						copy(crow, trow)
					} else {
						for j, x := range trow {
							crow[j] = x + beta*crow[j]
						}
					}
				}
			}
		})
	}
	wg.Wait()
}

// scaleUpper sets the upper triangle of c to beta c (to 0 if beta is 0, so
// that NaNs in c do not survive, as in BLAS).
func scaleUpper(beta float64, c blas64.Symmetric) {
	for i := 0; i < c.N; i++ {
		row := c.Data[i*c.Stride+i : i*c.Stride+c.N]
		for j := range row {
			if beta == 0 {
				row[j] = 0
			} else {
				row[j] *= beta
			}
		}
	}
}

func gemm(transA, transB bool, alpha float64, a, b blas64.General, beta float64, c blas64.General) {
	blas64.Gemm(trans(transA), trans(transB), alpha, a, b, beta, c)
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// symm computes c = a b. gonum's Dsymm is an unblocked serial loop, so the
// symmetric matrix is expanded to a full temporary (d^2 words) and multiplied
// with the blocked, parallel Dgemm instead.
func symm(a blas64.Symmetric, b, c blas64.General) {
	full := blas64.General{Rows: a.N, Cols: a.N, Stride: a.N, Data: make([]float64, a.N*a.N)}
	symToFull(full.Data, full.Stride, a)
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, full, b, 0, c)
}

// formQ is gonum's blocked Dorgqr.
func formQ(a blas64.General, tau []float64) {
	impl := gonumlapack.Implementation{}
	work := []float64{0}
	impl.Dorgqr(a.Rows, a.Cols, len(tau), a.Data, a.Stride, tau, work, -1)
	work = make([]float64, int(work[0]))
	impl.Dorgqr(a.Rows, a.Cols, len(tau), a.Data, a.Stride, tau, work, len(work))
}

// eigSym uses gonum's mat.EigenSym (native dsyev: tridiagonal QR) and
// reorders its ascending output to descending.
func eigSym(a *mat.SymDense, vectors bool) ([]float64, *mat.Dense, error) {
	var es mat.EigenSym
	if !es.Factorize(a, vectors) {
		return nil, nil, errors.New("gonum EigenSym (dsyev) did not converge")
	}
	vals := es.Values(nil)
	reverseAscending(vals)
	if !vectors {
		return vals, nil, nil
	}
	n := len(vals)
	var asc mat.Dense
	es.VectorsTo(&asc)
	ar := asc.RawMatrix()
	vecs := mat.NewDense(n, n, nil)
	vr := vecs.RawMatrix()
	for i := 0; i < n; i++ {
		src := ar.Data[i*ar.Stride : i*ar.Stride+n]
		dst := vr.Data[i*vr.Stride : i*vr.Stride+n]
		for k, x := range src {
			dst[n-1-k] = x
		}
	}
	return vals, vecs, nil
}
