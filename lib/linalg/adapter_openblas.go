//go:build openblas

package linalg

// #include <cblas.h>
// extern int openblas_get_num_threads(void);
// extern void openblas_set_num_threads(int);
import "C"

import (
	"sync"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
)

// In the openblas build, gonum's mat (mat.Dense.Mul, SymDense.SymOuterK, ...)
// is routed to OpenBLAS for the two level-3 kernels that dominate the
// project's run time, and gonum's float32 BLAS (blas32, which lib/nn's
// float32 training calls) for Sgemm. Everything else stays on gonum's native
// implementation, which is embedded.
func init() {
	blas64.Use(openblasImpl{})
	blas32.Use(openblasImpl{})
}

// openblasImpl is gonum's native BLAS with Dgemm and Dsyrk replaced by
// cblas_dgemm and cblas_dsyrk. It validates arguments like gonum does (BLAS
// itself would only print a message), so misuse still panics.
type openblasImpl struct{ gonum.Implementation }

var serial struct {
	sync.Mutex
	holders, saved int
}

// SerialThreads makes OpenBLAS single-threaded until the returned release is called; the last
// of several concurrent holders restores the thread count found by the first. lib/nn's
// float32 training holds it: OpenBLAS's sgemm rounds differently with different thread
// counts, and the training parallelizes over chunks of the minibatch itself. Every OpenBLAS
// call of the process, float64 ones included, is single-threaded meanwhile.
func (openblasImpl) SerialThreads() (release func()) {
	serial.Lock()
	defer serial.Unlock()
	if serial.holders == 0 {
		serial.saved = int(C.openblas_get_num_threads())
		C.openblas_set_num_threads(1)
	}
	serial.holders++
	var once sync.Once
	return func() {
		once.Do(func() {
			serial.Lock()
			defer serial.Unlock()
			if serial.holders--; serial.holders == 0 {
				C.openblas_set_num_threads(C.int(serial.saved))
			}
		})
	}
}

// gemmArgs checks the arguments of a row-major GEMM C = αop(A)op(B) + βC (m×n, inner k) the
// way the reference BLAS does, panicking on a negative dimension, a leading dimension too
// small or a slice too short; la, lb, lc are the slices' lengths. It reports whether there is
// anything to compute (false for an empty C).
func gemmArgs(name string, aT, bT bool, m, n, k, lda, ldb, ldc, la, lb, lc int) bool {
	if m < 0 || n < 0 || k < 0 {
		panic("linalg/openblas: " + name + ": negative dimension")
	}
	ar, ac := m, k
	if aT {
		ar, ac = k, m
	}
	br, bc := k, n
	if bT {
		br, bc = n, k
	}
	if lda < max(1, ac) || ldb < max(1, bc) || ldc < max(1, n) {
		panic("linalg/openblas: " + name + ": bad leading dimension")
	}
	if m == 0 || n == 0 {
		return false
	}
	if (ar > 0 && ac > 0 && la < lda*(ar-1)+ac) || (br > 0 && bc > 0 && lb < ldb*(br-1)+bc) || lc < ldc*(m-1)+n {
		panic("linalg/openblas: " + name + ": slice too short")
	}
	return true
}

func (openblasImpl) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	aT, bT := isTrans(tA), isTrans(tB)
	if !gemmArgs("Dgemm", aT, bT, m, n, k, lda, ldb, ldc, len(a), len(b), len(c)) {
		return
	}
	C.cblas_dgemm(C.CblasRowMajor, ctrans(aT), ctrans(bT), cint("m", m), cint("n", n), cint("k", k),
		C.double(alpha), ptr(a), cint("lda", lda), ptr(b), cint("ldb", ldb), C.double(beta), ptr(c), cint("ldc", ldc))
}

func (openblasImpl) Dsyrk(ul blas.Uplo, tA blas.Transpose, n, k int, alpha float64, a []float64, lda int, beta float64, c []float64, ldc int) {
	if ul != blas.Upper && ul != blas.Lower {
		panic("linalg/openblas: Dsyrk: bad uplo")
	}
	aT := isTrans(tA)
	if n < 0 || k < 0 {
		panic("linalg/openblas: Dsyrk: negative dimension")
	}
	ar, ac := n, k
	if aT {
		ar, ac = k, n
	}
	if lda < max(1, ac) || ldc < max(1, n) {
		panic("linalg/openblas: Dsyrk: bad leading dimension")
	}
	if n == 0 {
		return
	}
	if (ar > 0 && ac > 0 && len(a) < lda*(ar-1)+ac) || len(c) < ldc*(n-1)+n {
		panic("linalg/openblas: Dsyrk: slice too short")
	}
	uplo := C.enum_CBLAS_UPLO(C.CblasUpper)
	if ul == blas.Lower {
		uplo = C.CblasLower
	}
	C.cblas_dsyrk(C.CblasRowMajor, uplo, ctrans(aT), cint("n", n), cint("k", k),
		C.double(alpha), ptr(a), cint("lda", lda), C.double(beta), ptr(c), cint("ldc", ldc))
}

func (openblasImpl) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	aT, bT := isTrans(tA), isTrans(tB)
	if !gemmArgs("Sgemm", aT, bT, m, n, k, lda, ldb, ldc, len(a), len(b), len(c)) {
		return
	}
	C.cblas_sgemm(C.CblasRowMajor, ctrans(aT), ctrans(bT), cint("m", m), cint("n", n), cint("k", k),
		C.float(alpha), ptr32(a), cint("lda", lda), ptr32(b), cint("ldb", ldb), C.float(beta), ptr32(c), cint("ldc", ldc))
}

// ptr32 is ptr for float32 slices.
func ptr32(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

func isTrans(t blas.Transpose) bool {
	switch t {
	case blas.NoTrans:
		return false
	case blas.Trans, blas.ConjTrans:
		return true
	}
	panic("linalg/openblas: bad transpose")
}
