//go:build !purego

package nn

import "golang.org/x/sys/cpu"

// hasSgemmKernel reports whether sgemmKernel6x16 can run (AVX2 and FMA).
var hasSgemmKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// sgemmKernel6x16 computes the product P of the packed panels a (kc x 6) and b (kc x 16),
// P[r][j] = sum_k a[k*6+r] b[k*16+j], and sets the 6 x 16 block at c with row stride ldc
// to P (acc == 0) or adds P to it (acc == 1). Implemented in sgemm_amd64.s.
//
//go:noescape
func sgemmKernel6x16(kc int, a, b, c *float32, ldc int, acc int)

// reluAVX sets y[i] = x[i] unless 0 > x[i], then 0, for the first n entries (n a multiple
// of 8; AVX). Implemented in relu_amd64.s.
//
//go:noescape
func reluAVX(x, y *float32, n int)

// reluMaskAVX sets dx[i] = dy[i] where 0 < x[i], else 0, for the first n entries (n a
// multiple of 8; AVX). Implemented in relu_amd64.s.
//
//go:noescape
func reluMaskAVX(x, dy, dx *float32, n int)
