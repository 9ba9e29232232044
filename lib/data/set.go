package data

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Set is a labelled image set in memory: one row of X per sample, the pixels flattened in
// (channel, row, col) order (PyTorch NCHW) and normalized (see the package doc).
type Set struct {
	Name string
	// X is N x (Channels*Height*Width).
	X      *mat.Dense
	Labels []int
	// Per-sample image shape.
	Channels, Height, Width int
	// Classes is the label range: labels lie in 0..Classes-1 (10 for every dataset here, also
	// for subsets of fewer classes, since the output layer stays 10 wide).
	Classes int
	// Indices[i] is the position of sample i in the original (training or test) set.
	Indices []int
}

// Len is the number of samples.
func (s *Set) Len() int { return len(s.Labels) }

// Features is the number of values per sample, Channels*Height*Width.
func (s *Set) Features() int { return s.Channels * s.Height * s.Width }

// ClassCounts returns how many samples carry each label 0..Classes-1.
func (s *Set) ClassCounts() []int {
	c := make([]int, s.Classes)
	for _, l := range s.Labels {
		c[l]++
	}
	return c
}

// Subset returns perClass samples of each of the first `classes` labels (0..classes-1), the
// paper's class subsets. The selection is exactly:
//
//	rng := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))   // math/rand/v2
//	idx := []int{0, 1, ..., N-1}
//	rng.Shuffle(N, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
//	walk idx in order; keep sample idx[k] if its label l < classes and fewer than perClass
//	samples of label l have been kept; stop when every class has perClass.
//
// The kept samples stay in that shuffled order (classes interleaved), rows are copied, and
// Indices maps them back to the original set (composed through s.Indices). It is an error if a
// class has fewer than perClass samples; the message says how many exist.
func (s *Set) Subset(classes, perClass int, seed uint64) (*Set, error) {
	if classes < 1 || classes > s.Classes {
		return nil, fmt.Errorf("data: Subset of %s: classes = %d, expected 1..%d", s.Name, classes, s.Classes)
	}
	if perClass < 1 {
		return nil, fmt.Errorf("data: Subset of %s: perClass = %d, expected >= 1", s.Name, perClass)
	}
	counts := s.ClassCounts()
	for c := 0; c < classes; c++ {
		if counts[c] < perClass {
			return nil, fmt.Errorf("data: Subset of %s: class %d has %d samples, %d requested per class", s.Name, c, counts[c], perClass)
		}
	}
	n := s.Len()
	rng := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	rng.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })

	total := classes * perClass
	taken := make([]int, classes)
	pick := make([]int, 0, total)
	for _, i := range idx {
		l := s.Labels[i]
		if l < classes && taken[l] < perClass {
			taken[l]++
			pick = append(pick, i)
			if len(pick) == total {
				break
			}
		}
	}

	f := s.Features()
	raw := s.X.RawMatrix()
	x := make([]float64, total*f)
	out := &Set{
		Name:     fmt.Sprintf("%s[classes=%d,perClass=%d,seed=%d]", s.Name, classes, perClass, seed),
		Labels:   make([]int, total),
		Channels: s.Channels, Height: s.Height, Width: s.Width,
		Classes: s.Classes,
		Indices: make([]int, total),
	}
	for k, i := range pick {
		copy(x[k*f:(k+1)*f], raw.Data[i*raw.Stride:i*raw.Stride+f])
		out.Labels[k] = s.Labels[i]
		out.Indices[k] = i
		if s.Indices != nil {
			out.Indices[k] = s.Indices[i]
		}
	}
	out.X = mat.NewDense(total, f, x)
	return out, nil
}
