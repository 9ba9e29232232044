// Package linalg is noisecurv's BLAS/LAPACK backend: the handful of dense
// kernels that every curvature and noise matrix in the project goes through.
//
// # Why a package of its own
//
// The objects of arXiv 2602.05600 on one target layer with D = 2500 weights are
// D x D matrices built from N = 20000 per-sample vectors. For instance the
// second moment of the per-sample gradients in the noise covariance (Eq. 2),
//
//	C = (1/B) ( (1/N) sum_p g_p g_p^T - g g^T ),
//
// is, with G the N x D matrix whose row p is g_p,
//
//	sum_p g_p g_p^T = G^T G,
//
// and likewise H = E_p[M_p (x) a_p a_p^T] and E_p[h_p^2] are each one product
// of two stacked N x D matrices (docs/science.md, "Structure that makes exact
// computation cheap"). How that sum is evaluated decides whether a run takes
// seconds or minutes:
//
//   - The rank-1 trap. Accumulating C += g_p g_p^T one sample at a time
//     (dsyr/dger, or a hand loop) performs 2 D^2 flops per sample but streams
//     the whole accumulator (the 25 MB upper triangle at D = 2500) through
//     memory for each one: its arithmetic intensity is O(1) flop per byte, so
//     it runs at memory speed whatever the BLAS: about 1 GFLOP/s on the
//     project's machines (BenchmarkRank1Trap), so 20000 samples take minutes.
//   - One level-3 call. SymRankK forms alpha G^T G + beta C as ONE dsyrk over
//     the stacked rows. Blocked level-3 kernels reuse each loaded panel O(block)
//     times, so they run near the cores' floating-point peak: N D (D+1) flops,
//     about 1.3 s for N = 20000, D = 2500 with OpenBLAS's AVX-512 kernels
//     (about 100 GFLOP/s on 2 cores) and 17 s in pure Go (7 GFLOP/s).
//     Only the upper triangle is computed (half the flops of the general
//     product G^T G), which is also all that mat.SymDense stores.
//
// Callers that do not have the per-sample rows all at once should still stack
// them in chunks of a few hundred to a few thousand rows and call SymRankK or
// MulTA with beta = 1 per chunk, never loop over single samples.
//
// # Eigendecomposition: dsyevd, not dsyev
//
// EigSym returns all eigenpairs of a symmetric matrix. Under the openblas build
// tag it calls LAPACKE_dsyevd (Householder tridiagonalisation, then the
// divide-and-conquer tridiagonal solver, whose work is dominated by level-3
// matrix products), which is about 8x faster for D = 2500 than the implicit QR
// iteration of dsyev, whose eigenvector accumulation applies O(D^2) plane
// rotations one at a time. gonum's mat.EigenSym, even when lapack64 is routed to
// a native LAPACK, reaches only dsyev; that is why this package calls LAPACKE
// directly. The default pure-Go build uses mat.EigenSym (gonum's native dsyev).
//
// Conventions for EigSym, identical in both builds so results compare across
// backends: eigenvalues are sorted in DESCENDING order (lambda_1 >= lambda_2 >= ...),
// the eigenvectors are the columns of a D x D mat.Dense (A V = V diag(lambda)),
// and each eigenvector's sign is fixed by making its largest-magnitude component
// positive (components within a relative 1e-9 of the largest count as ties,
// resolved in favour of the lowest index). Eigenvectors of (nearly) repeated
// eigenvalues are not unique; only the spanned subspace is comparable.
//
// # Backends
//
// The default build is pure Go: gonum's blas64 (whose Dgemm is blocked and
// parallel over GOMAXPROCS goroutines) and mat.EigenSym. gonum's own Dsyrk and
// Dsymm are unblocked, serial loops (for the A^T A case Dsyrk is literally the
// rank-1 loop above), so the pure-Go path builds SymRankK from blocked Dgemm
// calls on the upper triangle's tiles, and symmetric-times-dense products from
// Dgemm on a full copy.
//
// With the build tag openblas (go build -tags openblas), the package links
// -lopenblas -llapacke through cgo and calls cblas_dsyrk, cblas_dgemm,
// cblas_dsymm and LAPACKE_dsyevd directly; it also installs OpenBLAS's dgemm
// and dsyrk as the blas64 implementation (blas64.Use) so that gonum's mat
// (and therefore every mat.Dense.Mul in the program) runs on OpenBLAS too.
// Backend reports which build is running and BackendInfo gives details.
//
// Debian bookworm's OpenBLAS 0.3.21 picks its kernels from the CPU at start
// (DYNAMIC_ARCH). It does not recognise some recent CPUs and then falls back
// to generic kernels (several times slower) unless the environment variable
// OPENBLAS_CORETYPE (for example SkylakeX on AVX-512 machines, Haswell on
// AVX2 machines) is set before the process starts; setting it from inside Go
// is too late. BackendInfo reports the core OpenBLAS chose: print it next to
// every timing.
//
// # Flop counts
//
// The counts used in the benchmarks and by callers budgeting work:
//
//	SymRankK, a N x d:         N d (d+1)            (upper triangle only)
//	MulTA / Gemm, m x n out:   2 m n k              (k = inner dimension)
//	MulSym, a d x d, b d x k:  2 d^2 k
//	DiagOfVtAV, V d x k:       about d^2 k + 384 d k (upper triangle only)
//	VtAV, V d x k:             2 d^2 k + 2 d k^2
//	EigSym, d x d:             about 14/3 d^3 nominal (4/3 d^3 tridiagonalisation,
//	                           <= 4/3 d^3 divide and conquer, 2 d^3 back-transformation)
//
// The Flops* functions return these numbers as float64.
package linalg
