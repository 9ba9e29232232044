package nn

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
