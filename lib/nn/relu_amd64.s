//go:build !purego

#include "textflag.h"

// func reluAVX(x, y *float32, n int)
//
// y[i] = max(0, x[i]) for n a multiple of 8, with VMAXPS's rule that the second source is
// returned when either is a NaN or both are zeros: y = x unless 0 > x, so NaN and -0 pass.
TEXT ·reluAVX(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	SHRQ   $3, CX
	JZ     reludone
	VXORPS Y0, Y0, Y0

reluloop:
	VMOVUPS (SI), Y1
	VMAXPS  Y1, Y0, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     reluloop
	VZEROUPPER

reludone:
	RET

// func reluMaskAVX(x, dy, dx *float32, n int)
//
// dx[i] = dy[i] where 0 < x[i], else 0 (a NaN x gives 0), for n a multiple of 8.
TEXT ·reluMaskAVX(SB), NOSPLIT, $0-32
	MOVQ   x+0(FP), SI
	MOVQ   dy+8(FP), BX
	MOVQ   dx+16(FP), DI
	MOVQ   n+24(FP), CX
	SHRQ   $3, CX
	JZ     maskdone
	VXORPS Y0, Y0, Y0

maskloop:
	VMOVUPS (SI), Y1
	VCMPPS  $1, Y1, Y0, Y2
	VANDPS  (BX), Y2, Y3
	VMOVUPS Y3, (DI)
	ADDQ    $32, SI
	ADDQ    $32, BX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     maskloop
	VZEROUPPER

maskdone:
	RET
