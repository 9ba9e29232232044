package nn

import "fmt"

// Shape is the per-sample shape of an activation: C channels of H x W pixels. A plain vector of n
// features is Shape{n, 1, 1}. Samples are stored flattened in (channel, row, col) order, the
// PyTorch NCHW layout, one row of a *mat.Dense per sample.
type Shape struct {
	C int `json:"c"`
	H int `json:"h"`
	W int `json:"w"`
}

// Size is the number of features per sample, C*H*W.
func (s Shape) Size() int { return s.C * s.H * s.W }

// IsVector reports whether the shape has no spatial extent (H = W = 1).
func (s Shape) IsVector() bool { return s.H == 1 && s.W == 1 }

// String formats the shape as CxHxW.
func (s Shape) String() string { return fmt.Sprintf("%dx%dx%d", s.C, s.H, s.W) }

func (s Shape) valid() bool { return s.C > 0 && s.H > 0 && s.W > 0 }

// within reports whether C*H*W <= limit for a valid shape, without overflowing.
func (s Shape) within(limit int) bool {
	n := 1
	for _, d := range []int{s.C, s.H, s.W} {
		if d > limit/n {
			return false
		}
		n *= d
	}
	return true
}
