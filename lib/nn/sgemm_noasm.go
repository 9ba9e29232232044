//go:build !amd64 || purego

package nn

const hasSgemmKernel = false

func sgemmKernel6x16(kc int, a, b, c *float32, ldc int, acc int) {
	panic("nn: no sgemm kernel on this platform")
}

func reluAVX(x, y *float32, n int) { panic("nn: no ReLU kernel on this platform") }

func reluMaskAVX(x, dy, dx *float32, n int) { panic("nn: no ReLU kernel on this platform") }
