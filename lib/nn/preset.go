package nn

// Target layers of the paper's models (docs/science.md): the weight matrix on which H and C are
// measured.
const (
	MNISTMLPTarget = "fc2" // 50x50 hidden-to-hidden
	CIFARMLPTarget = "fc3" // last 50x50 hidden matrix
	CNNTarget      = "fc1" // dense 128 -> 20
)

// MLP is a bias-free fully connected network in -> hidden... -> classes with activation act
// ("relu" or "tanh"; anything else makes Build fail) after every hidden layer. Dense layers
// are named fc1, fc2, ... and activations relu1, ... (or tanh1, ...).
func MLP(in int, hidden []int, classes int, act string) Spec {
	s := Spec{In: Shape{in, 1, 1}}
	for _, h := range hidden {
		s.Layers = append(s.Layers, LayerSpec{Kind: KindDense, Out: h}, LayerSpec{Kind: act})
	}
	s.Layers = append(s.Layers, LayerSpec{Kind: KindDense, Out: classes})
	return s
}

// MNISTMLP is the paper's MNIST MLP 784-50-50-10 (ReLU, no bias); target "fc2".
func MNISTMLP() Spec { return MLP(784, []int{50, 50}, 10, KindReLU) }

// CIFARMLP is the paper's CIFAR-10 MLP 3072-1000-50-50-10 (ReLU, no bias); target "fc3".
func CIFARMLP() Spec { return MLP(3072, []int{1000, 50, 50}, 10, KindReLU) }

// DeepMNISTMLP is the v2 layer-wise MLP 784-50-50-50-50-10 (ReLU, no bias).
func DeepMNISTMLP() Spec { return MLP(784, []int{50, 50, 50, 50}, 10, KindReLU) }

// CNN is the paper's CNN for input shape in: 3x3 convolutions with padding 1 and bias in the
// pattern [32, M, 64, M, 128, 128, M] (M = 2x2 max pool), each conv followed by ReLU, then a
// global average pool, flatten, dense 128-20 (fc1, the target, no bias), ReLU and dense 20-10
// (fc2, no bias).
func CNN(in Shape) Spec {
	conv := func(out int) []LayerSpec {
		return []LayerSpec{{Kind: KindConv2D, Out: out, Bias: true}, {Kind: KindReLU}}
	}
	pool := LayerSpec{Kind: KindMaxPool}
	var l []LayerSpec
	l = append(l, conv(32)...)
	l = append(l, pool)
	l = append(l, conv(64)...)
	l = append(l, pool)
	l = append(l, conv(128)...)
	l = append(l, conv(128)...)
	l = append(l, pool,
		LayerSpec{Kind: KindAvgPool},
		LayerSpec{Kind: KindFlatten},
		LayerSpec{Kind: KindDense, Out: 20},
		LayerSpec{Kind: KindReLU},
		LayerSpec{Kind: KindDense, Out: 10},
	)
	return Spec{In: in, Layers: l}
}
