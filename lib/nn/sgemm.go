package nn

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
)

// sgemm computes C = alpha op(A) op(B) + beta C for row-major float32 matrices (op(A) m x k,
// op(B) k x n). When the float32 BLAS installed in gonum's blas32 is gonum's own (the
// pure-Go build; lib/linalg installs OpenBLAS's sgemm in the openblas build) and the CPU has
// AVX2 and FMA, it uses this file's blocked GEMM around an assembly micro-kernel: gonum's
// Sgemm reaches only a few GFLOP/s, a tenth of what the CPU does in float32.
func sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	impl := blas32.Implementation()
	if _, ok := impl.(gonum.Implementation); ok && hasSgemmKernel {
		blockedSgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	t := func(x bool) blas.Transpose {
		if x {
			return blas.Trans
		}
		return blas.NoTrans
	}
	impl.Sgemm(t(tA), t(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Blocking of blockedSgemm (Goto's scheme): the micro-kernel computes an mr x nr block of C
// from packed panels of A (kc x mr) and B (kc x nr); a kc x nc block of packed B stays in
// the L2 cache while mc x kc blocks of packed A stream through it.
const (
	sgemmMR = 6
	sgemmNR = 16
	sgemmKC = 256
	sgemmMC = 96
	sgemmNC = 2048
)

// blockedSgemm is sgemm's pure-Go path. The columns of C are split among GOMAXPROCS
// workers in whole nr panels; each worker packs its own panels. The micro-kernel writes a
// temporary mr x nr tile, which Go adds into C, so edges need no special kernel.
func blockedSgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	// With alpha = 1 and beta = 0 the first k block stores into C, so C need not be cleared.
	store := alpha == 1 && beta == 0 && k > 0
	if beta != 1 && !store {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
			} else {
				for j := range row {
					row[j] *= beta
				}
			}
		}
	}
	if k == 0 || alpha == 0 {
		return
	}
	panels := (n + sgemmNR - 1) / sgemmNR
	workers := min(runtime.GOMAXPROCS(0), panels, max(1, m*n*k/(1<<18)))
	per := (panels + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		j0, j1 := w*per*sgemmNR, min(n, (w+1)*per*sgemmNR)
		if j0 >= j1 {
			break
		}
		wg.Go(func() {
			sgemmColumns(tA, tB, m, j0, j1, k, alpha, a, lda, b, ldb, c, ldc, store)
		})
	}
	wg.Wait()
}

// packPool recycles the packing buffers of sgemmColumns (every entry is written before it is
// read, so they need no clearing).
var packPool = sync.Pool{New: func() any { return new([]float32) }}

// sgemmColumns adds alpha op(A) op(B)[:, j0:j1] to C[:, j0:j1], or stores it there when
// store is true (then alpha is 1). Full 6 x 16 blocks with alpha 1 go straight from the
// kernel into C; edge blocks and other alphas go through a temporary tile.
func sgemmColumns(tA, tB bool, m, j0, j1, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, store bool) {
	nc, kc := min(sgemmNC, j1-j0), min(sgemmKC, k)
	buf := packPool.Get().(*[]float32)
	defer packPool.Put(buf)
	nbp := kc * ((nc + sgemmNR - 1) / sgemmNR) * sgemmNR
	nap := kc * ((min(sgemmMC, m) + sgemmMR - 1) / sgemmMR) * sgemmMR
	if cap(*buf) < nbp+nap {
		*buf = make([]float32, nbp+nap)
	}
	bp, ap := (*buf)[:nbp], (*buf)[nbp:nbp+nap]
	var tile [sgemmMR * sgemmNR]float32
	for jc := j0; jc < j1; jc += sgemmNC {
		nb := min(sgemmNC, j1-jc)
		for pc := 0; pc < k; pc += sgemmKC {
			kb := min(sgemmKC, k-pc)
			packB(tB, b, ldb, pc, kb, jc, nb, bp)
			for ic := 0; ic < m; ic += sgemmMC {
				mb := min(sgemmMC, m-ic)
				packA(tA, a, lda, ic, mb, pc, kb, ap)
				for jr := 0; jr < nb; jr += sgemmNR {
					nr := min(sgemmNR, nb-jr)
					bpan := bp[(jr/sgemmNR)*kb*sgemmNR:]
					for ir := 0; ir < mb; ir += sgemmMR {
						mr := min(sgemmMR, mb-ir)
						apan := &ap[(ir/sgemmMR)*kb*sgemmMR]
						first := store && pc == 0
						if mr == sgemmMR && nr == sgemmNR && alpha == 1 {
							acc := 1
							if first {
								acc = 0
							}
							cb := c[(ic+ir)*ldc+jc+jr : (ic+ir+sgemmMR-1)*ldc+jc+jr+sgemmNR]
							sgemmKernel6x16(kb, apan, &bpan[0], &cb[0], ldc, acc)
							continue
						}
						sgemmKernel6x16(kb, apan, &bpan[0], &tile[0], sgemmNR, 0)
						for r := 0; r < mr; r++ {
							crow := c[(ic+ir+r)*ldc+jc+jr : (ic+ir+r)*ldc+jc+jr+nr]
							trow := tile[r*sgemmNR : r*sgemmNR+nr]
							if first {
								copy(crow, trow)
								continue
							}
							for j, v := range trow {
								crow[j] += alpha * v
							}
						}
					}
				}
			}
		}
	}
}

// packA packs op(A)[i0:i0+mb, p0:p0+kb] into panels of mr rows: panel q holds, for each k,
// the mr values op(A)[i0+q*mr+r, p0+k] (zero past the last row).
func packA(tA bool, a []float32, lda, i0, mb, p0, kb int, ap []float32) {
	for q := 0; q*sgemmMR < mb; q++ {
		pan := ap[q*kb*sgemmMR : (q+1)*kb*sgemmMR]
		rows := min(sgemmMR, mb-q*sgemmMR)
		for r := 0; r < sgemmMR; r++ {
			if r >= rows {
				for kk := 0; kk < kb; kk++ {
					pan[kk*sgemmMR+r] = 0
				}
				continue
			}
			i := i0 + q*sgemmMR + r
			if tA {
				for kk := 0; kk < kb; kk++ {
					pan[kk*sgemmMR+r] = a[(p0+kk)*lda+i]
				}
			} else {
				src := a[i*lda+p0 : i*lda+p0+kb]
				for kk, v := range src {
					pan[kk*sgemmMR+r] = v
				}
			}
		}
	}
}

// packB packs op(B)[p0:p0+kb, j0:j0+nb] into panels of nr columns: panel q holds, for each
// k, the nr values op(B)[p0+k, j0+q*nr+j] (zero past the last column).
func packB(tB bool, b []float32, ldb, p0, kb, j0, nb int, bp []float32) {
	for q := 0; q*sgemmNR < nb; q++ {
		pan := bp[q*kb*sgemmNR : (q+1)*kb*sgemmNR]
		cols := min(sgemmNR, nb-q*sgemmNR)
		jb := j0 + q*sgemmNR
		for kk := 0; kk < kb; kk++ {
			dst := pan[kk*sgemmNR : (kk+1)*sgemmNR]
			switch {
			case tB:
				for j := 0; j < cols; j++ {
					dst[j] = b[(jb+j)*ldb+p0+kk]
				}
				clear(dst[cols:])
			case cols == sgemmNR:
				o := (p0+kk)*ldb + jb
				*(*[sgemmNR]float32)(dst) = *(*[sgemmNR]float32)(b[o : o+sgemmNR])
			default:
				copy(dst[:cols], b[(p0+kk)*ldb+jb:(p0+kk)*ldb+jb+cols])
				clear(dst[cols:])
			}
		}
	}
}
