package data

import (
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// toySet has n samples with label i%10 and one feature row [i, -i].
func toySet(n int) *Set {
	x := mat.NewDense(n, 2, nil)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		labels[i] = i % 10
		x.Set(i, 0, float64(i))
		x.Set(i, 1, -float64(i))
	}
	return &Set{Name: "toy", X: x, Labels: labels, Channels: 2, Height: 1, Width: 1, Classes: 10, Indices: seq(n)}
}

func TestSubsetFollowsTheDocumentedRule(t *testing.T) {
	s := toySet(1000)
	sub, err := s.Subset(3, 20, 42)
	if err != nil {
		t.Fatal(err)
	}
	// The rule, written out independently.
	rng := rand.New(rand.NewPCG(42, 42^0x9E3779B97F4A7C15))
	idx := seq(1000)
	rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	var want []int
	taken := map[int]int{}
	for _, i := range idx {
		if l := i % 10; l < 3 && taken[l] < 20 {
			taken[l]++
			want = append(want, i)
		}
	}
	if !slices.Equal(sub.Indices, want) {
		t.Fatalf("indices\n%v\nwant\n%v", sub.Indices, want)
	}
	for k, i := range want {
		if sub.Labels[k] != i%10 || sub.X.At(k, 0) != float64(i) || sub.X.At(k, 1) != -float64(i) {
			t.Fatalf("row %d is not sample %d", k, i)
		}
	}
	if c := sub.ClassCounts(); c[0] != 20 || c[1] != 20 || c[2] != 20 || c[3] != 0 || sub.Classes != 10 {
		t.Errorf("counts %v classes %d", c, sub.Classes)
	}
	if sub.Channels != 2 || sub.Features() != 2 {
		t.Errorf("shape not carried over: %+v", sub)
	}
	// Same seed, same subset; another seed, another one.
	again, _ := s.Subset(3, 20, 42)
	other, _ := s.Subset(3, 20, 43)
	if !slices.Equal(again.Indices, sub.Indices) || slices.Equal(other.Indices, sub.Indices) {
		t.Error("Subset is not a deterministic function of the seed")
	}
	// The subset does not alias the parent.
	sub.X.Set(0, 0, -1)
	if s.X.At(want[0], 0) != float64(want[0]) {
		t.Error("Subset shares memory with its parent")
	}
}

func TestSubsetOfSubsetComposesIndices(t *testing.T) {
	s := toySet(500)
	a, err := s.Subset(6, 30, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := a.Subset(2, 5, 2)
	if err != nil {
		t.Fatal(err)
	}
	for k, orig := range b.Indices {
		if b.X.At(k, 0) != float64(orig) || b.Labels[k] != orig%10 {
			t.Fatalf("row %d: index %d does not point at its sample", k, orig)
		}
	}
	// Without Indices (a hand-made set) positions are used.
	s.Indices = nil
	c, _ := s.Subset(1, 3, 5)
	for k, i := range c.Indices {
		if c.X.At(k, 0) != float64(i) {
			t.Fatalf("row %d: index %d", k, i)
		}
	}
}

func TestSubsetErrors(t *testing.T) {
	s := toySet(95) // labels 0..4 have 10 samples, 5..9 have 9
	_, err := s.Subset(6, 10, 1)
	mustContain(t, err, "class 5 has 9 samples, 10 requested per class")
	_, err = s.Subset(0, 1, 1)
	mustContain(t, err, "classes = 0, expected 1..10")
	_, err = s.Subset(11, 1, 1)
	mustContain(t, err, "classes = 11")
	_, err = s.Subset(2, 0, 1)
	mustContain(t, err, "perClass = 0")
	if sub, err := s.Subset(10, 9, 1); err != nil || sub.Len() != 90 {
		t.Fatalf("all classes: %v", err)
	}
}
