package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// LayerSpec describes one layer. Kind is one of the Kind* constants; Name defaults to the
// kind's prefix and its 1-based count among layers of that kind (fc1, conv1, pool1, avgpool1,
// flatten1, relu1, tanh1). Out is the number of dense units or conv output channels (dense and
// conv2d only). Bias adds a bias vector (dense and conv2d only).
type LayerSpec struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Out  int    `json:"out,omitempty"`
	Bias bool   `json:"bias,omitempty"`
}

// Spec describes a sequential architecture declaratively; it is JSON-serializable and Build
// turns it into a Model.
type Spec struct {
	In     Shape       `json:"in"`
	Layers []LayerSpec `json:"layers"`
}

var defaultPrefix = map[string]string{
	KindDense:   "fc",
	KindConv2D:  "conv",
	KindMaxPool: "pool",
	KindAvgPool: "avgpool",
	KindFlatten: "flatten",
	KindReLU:    "relu",
	KindTanh:    "tanh",
}

// ErrSpec is wrapped by every error Build returns for an invalid Spec.
var ErrSpec = errors.New("invalid spec")

// Limits on a Spec, checked by Build before anything is allocated, so that a corrupt or hostile
// spec (in a model file, or the "spec" key of an .npz archive) fails with an error naming the
// layer instead of exhausting memory.
const (
	// MaxParams bounds the total number of parameters: 1<<28 float64 values are 2 GiB, about
	// 85 times the paper's largest model (the CIFAR-10 MLP, 3.1 million parameters).
	MaxParams = 1 << 28
	// MaxFeatures bounds the per-sample size C*H*W of the input and of every layer's output:
	// 1<<24 values (the paper's largest is CIFAR-10's 32x32 image with 128 channels, 131072).
	MaxFeatures = 1 << 24
	// MaxLayers bounds the number of layers.
	MaxLayers = 1 << 12
)

// Build validates spec, fills in default layer names and returns a Model with PyTorch-default
// initialization drawn from seed: for each layer in order, the weight and then the bias are
// drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = In features (dense) or InC*9 (conv),
// which is Kaiming-uniform with a = sqrt(5). The random stream is
// rand.NewPCG(seed, seed^0x9E3779B97F4A7C15), so equal seeds give bit-identical models.
func Build(spec Spec, seed uint64) (*Model, error) {
	m, err := build(spec)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	for _, l := range m.Layers {
		var fanIn int
		switch l := l.(type) {
		case *Dense:
			fanIn = l.In
		case *Conv2D:
			fanIn = l.In.C * 9
		default:
			continue
		}
		bound := 1 / math.Sqrt(float64(fanIn))
		for _, p := range l.Params() {
			for i := range p.Value {
				p.Value[i] = (2*rng.Float64() - 1) * bound
			}
		}
	}
	return m, nil
}

// build validates the spec and allocates zero parameters.
func build(spec Spec) (*Model, error) { return buildLimit(spec, MaxParams, "MaxParams") }

// buildLimit is build with a tighter bound on the parameter count, named by limitName.
func buildLimit(spec Spec, maxParams int, limitName string) (*Model, error) {
	if !spec.In.valid() {
		return nil, fmt.Errorf("nn: %w: input shape %v must have positive C, H and W", ErrSpec, spec.In)
	}
	if !spec.In.within(MaxFeatures) {
		return nil, fmt.Errorf("nn: %w: input shape %v has more than MaxFeatures = %d values per sample", ErrSpec, spec.In, MaxFeatures)
	}
	if len(spec.Layers) == 0 {
		return nil, fmt.Errorf("nn: %w: no layers", ErrSpec)
	}
	if len(spec.Layers) > MaxLayers {
		return nil, fmt.Errorf("nn: %w: %d layers, more than MaxLayers = %d", ErrSpec, len(spec.Layers), MaxLayers)
	}
	params := 0 // running total, checked against MaxParams before each layer is allocated
	resolved := Spec{In: spec.In, Layers: make([]LayerSpec, len(spec.Layers))}
	m := &Model{}
	counts := map[string]int{}
	names := map[string]int{}
	shape := spec.In
	for i, ls := range spec.Layers {
		prefix, ok := defaultPrefix[ls.Kind]
		if !ok {
			return nil, fmt.Errorf("nn: %w: layer %d: unknown kind %q (valid: dense, conv2d, maxpool2, avgpool, flatten, relu, tanh)", ErrSpec, i, ls.Kind)
		}
		counts[ls.Kind]++
		if ls.Name == "" {
			ls.Name = fmt.Sprintf("%s%d", prefix, counts[ls.Kind])
		}
		if j, dup := names[ls.Name]; dup {
			return nil, fmt.Errorf("nn: %w: layers %d and %d are both named %q", ErrSpec, j, i, ls.Name)
		}
		names[ls.Name] = i
		where := fmt.Sprintf("layer %d (%s %q) with input %v", i, ls.Kind, ls.Name, shape)
		hasParams := ls.Kind == KindDense || ls.Kind == KindConv2D
		if hasParams && ls.Out <= 0 {
			return nil, fmt.Errorf("nn: %w: %s: out must be positive, got %d", ErrSpec, where, ls.Out)
		}
		if !hasParams && (ls.Out != 0 || ls.Bias) {
			return nil, fmt.Errorf("nn: %w: %s: out and bias apply only to dense and conv2d layers", ErrSpec, where)
		}
		if hasParams {
			// Out <= MaxFeatures and fan-in <= 9*MaxFeatures, so the products below fit an int.
			if ls.Out > MaxFeatures {
				return nil, fmt.Errorf("nn: %w: %s: out = %d exceeds MaxFeatures = %d", ErrSpec, where, ls.Out, MaxFeatures)
			}
			fanIn := shape.Size()
			if ls.Kind == KindConv2D {
				fanIn = shape.C * 9
				if !(Shape{ls.Out, shape.H, shape.W}).within(MaxFeatures) {
					return nil, fmt.Errorf("nn: %w: %s: output %dx%dx%d exceeds MaxFeatures = %d values per sample", ErrSpec, where, ls.Out, shape.H, shape.W, MaxFeatures)
				}
			}
			n := ls.Out * fanIn
			if ls.Bias {
				n += ls.Out
			}
			if params += n; params > maxParams {
				return nil, fmt.Errorf("nn: %w: %s: %d parameters so far, more than %s = %d", ErrSpec, where, params, limitName, maxParams)
			}
		}
		var l Layer
		switch ls.Kind {
		case KindDense:
			l = newDenseLayer(ls.Name, shape, ls.Out, ls.Bias)
		case KindConv2D:
			if shape.IsVector() {
				return nil, fmt.Errorf("nn: %w: %s: conv2d needs an image input, got a vector", ErrSpec, where)
			}
			l = newConvLayer(ls.Name, shape, ls.Out, ls.Bias)
		case KindMaxPool:
			if shape.H < 2 || shape.W < 2 {
				return nil, fmt.Errorf("nn: %w: %s: maxpool2 needs H, W >= 2", ErrSpec, where)
			}
			l = &MaxPool2{paramFree{In: shape, name: ls.Name}}
		case KindAvgPool:
			l = &AvgPool{paramFree{In: shape, name: ls.Name}}
		case KindFlatten:
			l = &Flatten{paramFree{In: shape, name: ls.Name}}
		case KindReLU:
			l = &ReLU{elementwise{paramFree{In: shape, name: ls.Name}}}
		case KindTanh:
			l = &Tanh{elementwise{paramFree{In: shape, name: ls.Name}}}
		}
		m.Layers = append(m.Layers, l)
		resolved.Layers[i] = ls
		shape = l.OutShape()
	}
	m.Spec = resolved
	return m, nil
}
