//go:build openblas

package linalg

/*
#cgo LDFLAGS: -llapacke -lopenblas
#include <stdlib.h>
#include <cblas.h>
#include <lapacke.h>

// Declared here as well so that the build does not depend on which cblas.h
// the system's alternatives point to; these exist only in OpenBLAS.
extern char* openblas_get_corename(void);
extern char* openblas_get_config(void);
extern int openblas_get_num_threads(void);
*/
import "C"

import (
	"fmt"
	"math"
	"strings"
	"unsafe"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

const backendName = "openblas"

func backendInfo() string {
	return fmt.Sprintf("openblas (%s; core %s; %d threads)",
		strings.TrimSpace(C.GoString(C.openblas_get_config())),
		C.GoString(C.openblas_get_corename()),
		int(C.openblas_get_num_threads()))
}

// cint converts a dimension or stride to the 32-bit integer of the Debian
// OpenBLAS/LAPACKE ABI, panicking rather than silently wrapping.
func cint(name string, x int) C.int {
	if x < 0 || x > math.MaxInt32 {
		panic(fmt.Sprintf("linalg: %s = %d does not fit the 32-bit BLAS integer", name, x))
	}
	return C.int(x)
}

// ptr returns a C pointer to s[0], or nil for an empty slice (BLAS does not
// dereference it then). Go memory holding no Go pointers may be passed to C.
func ptr(s []float64) *C.double {
	if len(s) == 0 {
		return nil
	}
	return (*C.double)(unsafe.Pointer(&s[0]))
}

func ctrans(t bool) C.enum_CBLAS_TRANSPOSE {
	if t {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}

// syrk computes the upper triangle of c = alpha a^T a + beta c with one
// cblas_dsyrk (row-major, upper, transposed).
func syrk(alpha float64, a blas64.General, beta float64, c blas64.Symmetric) {
	if c.N == 0 {
		return
	}
	C.cblas_dsyrk(C.CblasRowMajor, C.CblasUpper, C.CblasTrans,
		cint("d", c.N), cint("N", a.Rows), C.double(alpha), ptr(a.Data), cint("lda", max(1, a.Stride)),
		C.double(beta), ptr(c.Data), cint("ldc", c.Stride))
}

func gemm(transA, transB bool, alpha float64, a, b blas64.General, beta float64, c blas64.General) {
	m, n := c.Rows, c.Cols
	if m == 0 || n == 0 {
		return
	}
	k := a.Cols
	if transA {
		k = a.Rows
	}
	C.cblas_dgemm(C.CblasRowMajor, ctrans(transA), ctrans(transB),
		cint("m", m), cint("n", n), cint("k", k), C.double(alpha),
		ptr(a.Data), cint("lda", max(1, a.Stride)), ptr(b.Data), cint("ldb", max(1, b.Stride)),
		C.double(beta), ptr(c.Data), cint("ldc", c.Stride))
}

// symm computes c = a b with one cblas_dsymm (a on the left, upper storage).
func symm(a blas64.Symmetric, b, c blas64.General) {
	if c.Rows == 0 || c.Cols == 0 {
		return
	}
	C.cblas_dsymm(C.CblasRowMajor, C.CblasLeft, C.CblasUpper, cint("m", c.Rows), cint("n", c.Cols),
		1, ptr(a.Data), cint("lda", a.Stride), ptr(b.Data), cint("ldb", b.Stride),
		0, ptr(c.Data), cint("ldc", c.Stride))
}

// formQ calls LAPACKE_dorgqr on the row-major reflectors.
func formQ(a blas64.General, tau []float64) {
	info := C.LAPACKE_dorgqr(C.LAPACK_ROW_MAJOR, cint("m", a.Rows), cint("n", a.Cols), cint("k", len(tau)),
		ptr(a.Data), cint("lda", a.Stride), ptr(tau))
	if info != 0 {
		panic(fmt.Sprintf("linalg: LAPACKE_dorgqr: info=%d", int(info)))
	}
}

// eigSym calls LAPACKE_dsyevd (divide and conquer). The upper triangle of the
// row-major input is the lower triangle of the same buffer read column-major,
// so the copy is passed as column-major 'L' and no transposition is needed on
// the way in; on the way out, eigenvector k (ascending) is the contiguous
// column k of the column-major result and becomes column n-1-k of vecs.
func eigSym(a *mat.SymDense, vectors bool) ([]float64, *mat.Dense, error) {
	ar := a.RawSymmetric()
	n := ar.N
	buf := make([]float64, n*n)
	for i := 0; i < n; i++ {
		copy(buf[i*n+i:i*n+n], ar.Data[i*ar.Stride+i:i*ar.Stride+n])
	}
	vals := make([]float64, n)
	jobz := C.char('N')
	if vectors {
		jobz = 'V'
	}
	info := C.LAPACKE_dsyevd(C.LAPACK_COL_MAJOR, jobz, 'L', cint("n", n), ptr(buf), cint("lda", n), ptr(vals))
	switch {
	case info < 0:
		return nil, nil, fmt.Errorf("LAPACKE_dsyevd: argument %d had an illegal value (or workspace allocation failed)", -int(info))
	case info > 0:
		return nil, nil, fmt.Errorf("LAPACKE_dsyevd: the algorithm failed to converge (info=%d)", int(info))
	}
	reverseAscending(vals)
	if !vectors {
		return vals, nil, nil
	}
	vecs := mat.NewDense(n, n, nil)
	vr := vecs.RawMatrix()
	// Transpose in 64 x 64 blocks so that both sides stay in cache.
	const bs = 64
	for k0 := 0; k0 < n; k0 += bs {
		for i0 := 0; i0 < n; i0 += bs {
			for k := k0; k < min(k0+bs, n); k++ {
				col := n - 1 - k
				src := buf[k*n : k*n+n]
				for i := i0; i < min(i0+bs, n); i++ {
					vr.Data[i*vr.Stride+col] = src[i]
				}
			}
		}
	}
	return vals, vecs, nil
}
