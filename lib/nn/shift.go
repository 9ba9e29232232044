package nn

import "gonum.org/v1/gonum/blas/blas32"

// Image-plane shifts behind the 3×3 convolutions (padding 1) of both engines: im2col copies
// each input plane shifted by a kernel tap into a row of patches, col2im adds such rows back.

// shiftCopy writes into dst (H×W, row-major) the plane src shifted by (du, dv):
// dst[i, j] = src[i+du, j+dv], and 0 where that pixel lies outside the image.
func shiftCopy[T float32 | float64](dst, src []T, H, W, du, dv int) {
	j0, j1 := max(0, -dv), min(W, W-dv)
	for i := 0; i < H; i++ {
		d := dst[i*W : (i+1)*W]
		si := i + du
		if si < 0 || si >= H {
			clear(d)
			continue
		}
		clear(d[:j0])
		clear(d[j1:])
		copy(d[j0:j1], src[si*W+j0+dv:si*W+j1+dv])
	}
}

// shiftAdd is the adjoint of shiftCopy: dst[i+du, j+dv] += src[i, j] for every pixel (i, j)
// whose shifted position lies inside the image.
func shiftAdd[T float32 | float64](dst, src []T, H, W, du, dv int) {
	j0, j1 := max(0, -dv), min(W, W-dv)
	for i := 0; i < H; i++ {
		si := i + du
		if si < 0 || si >= H {
			continue
		}
		s := src[i*W+j0 : i*W+j1]
		d := dst[si*W+j0+dv : si*W+j1+dv]
		d = d[:len(s)]
		for j, v := range s {
			d[j] += v
		}
	}
}

// shiftPlanes is shiftCopy over n contiguous H×W planes at once: dst[s, i, j] =
// src[s, i+du, j+dv], and 0 where (i+du, j+dv) lies outside the plane (|du| < H, |dv| < W).
// Seen as one array, the shift is a constant offset du W + dv, so it is one bulk copy
// followed by clearing the rows and columns whose source lies outside its own plane; that
// is several times faster than a copy per image row when the rows are short (7 or 14 pixels
// in the paper's CNN).
func shiftPlanes(dst, src []float32, n, H, W, du, dv int) {
	hw := H * W
	size := n * hw
	dst, src = dst[:size], src[:size]
	if o := du*W + dv; o >= 0 {
		copy(dst[:size-o], src[o:])
		clear(dst[size-o:])
	} else {
		copy(dst[-o:], src[:size+o])
		clear(dst[:-o])
	}
	clearOutside(dst, n, H, W, du, dv)
}

// shiftAddPlanes is shiftAdd over n contiguous H×W planes at once, the adjoint of
// shiftPlanes: dst[s, i+du, j+dv] += src[s, i, j] for every pixel whose shifted position
// lies inside its plane. src is scratch: the entries that would land outside are zeroed
// first, so the rest is one contiguous dst[p + du W + dv] += src[p]. Every dst entry gets
// at most one addition, so the result is bit-identical to shiftAdd plane by plane.
func shiftAddPlanes(dst, src []float32, n, H, W, du, dv int) {
	hw := H * W
	size := n * hw
	dst, src = dst[:size], src[:size]
	// Entry (i, j) of src lands at (i+du, j+dv).
	clearOutside(src, n, H, W, du, dv)
	o := du*W + dv
	lo, hi := max(0, -o), min(size, size-o)
	if lo < hi {
		blas32.Implementation().Saxpy(hi-lo, 1, src[lo:hi], 1, dst[lo+o:hi+o], 1)
	}
}

// clearOutside zeroes, in each of the n H×W planes of x, the pixels (i, j) with (i+du, j+dv)
// outside the plane.
func clearOutside(x []float32, n, H, W, du, dv int) {
	hw := H * W
	x = x[:n*hw]
	// Rows i with i+du outside [0, H): a block at the top or bottom of every plane.
	if r0, r1 := max(0, -du), min(H, H-du); r0 > 0 || r1 < H {
		for s := 0; s < n; s++ {
			p := x[s*hw : (s+1)*hw]
			clear(p[:r0*W])
			clear(p[r1*W:])
		}
	}
	// Columns j with j+dv outside [0, W): every W-th entry of the whole array, one or two
	// columns for a 3×3 kernel, so a strided store beats a loop over rows.
	c0, c1 := max(0, -dv), min(W, W-dv)
	for j := 0; j < W; j++ {
		if j == c0 {
			j = c1
			if j == W {
				break
			}
		}
		for q := j; q < len(x); q += W {
			x[q] = 0
		}
	}
}
