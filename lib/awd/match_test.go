package awd

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
)

func TestMatchRules(t *testing.T) {
	acts, labels := randData(testkit.NewRand(1), 300, 4, 3)
	// Make sample 7 an exact duplicate of sample 8 when they share a class, to exercise the
	// self-distance rule.
	labels[7] = labels[8]
	copy(acts.RawRowView(7), acts.RawRowView(8))

	m, err := Match(acts, labels, MatchOptions{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Match(acts, labels, MatchOptions{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Partner, m2.Partner) {
		t.Fatal("Match is not deterministic for a fixed seed")
	}
	m3, _ := Match(acts, labels, MatchOptions{Seed: 43})
	if slices.Equal(m.Partner, m3.Partner) {
		t.Error("Match gives identical partners for seeds 42 and 43")
	}
	if m.N != 300 || m.Unmatched != 0 || len(m.Batches) != 5 {
		t.Fatalf("N = %d, Unmatched = %d, batches = %d; want 300, 0, 5", m.N, m.Unmatched, len(m.Batches))
	}
	seen := make([]int, 300)
	for b, batch := range m.Batches {
		want := 64
		if b == 4 {
			want = 300 - 4*64
		}
		if len(batch) != want {
			t.Errorf("batch %d has %d samples, want %d", b, len(batch), want)
		}
		if len(m.Anchors[b]) != 3*20 {
			t.Errorf("batch %d has %d anchors, want 60", b, len(m.Anchors[b]))
		}
		for _, p := range batch {
			seen[p]++
			q := m.Partner[p]
			if q < 0 || q == p || labels[q] != labels[p] {
				t.Fatalf("sample %d (class %d): partner %d (class %d)", p, labels[p], q, labels[max(q, 0)])
			}
			if !slices.Contains(m.Anchors[b], q) {
				t.Fatalf("sample %d: partner %d is not an anchor of its batch", p, q)
			}
			dist := func(r int) float64 {
				var s float64
				for j := 0; j < 4; j++ {
					d := acts.At(p, j) - acts.At(r, j)
					s += d * d
				}
				return math.Sqrt(s)
			}
			if math.Abs(dist(q)-m.Dist[p]) > 1e-15 {
				t.Fatalf("sample %d: Dist %g, recomputed %g", p, m.Dist[p], dist(q))
			}
			if dist(q) < DefaultSelfTol {
				t.Fatalf("sample %d: partner %d at distance %g is the sample itself", p, q, dist(q))
			}
			for _, r := range m.Anchors[b] {
				if r == p || labels[r] != labels[p] || dist(r) < DefaultSelfTol {
					continue
				}
				if dist(r) < dist(q) {
					t.Fatalf("sample %d: anchor %d is nearer (%g) than partner %d (%g)", p, r, dist(r), q, dist(q))
				}
			}
		}
	}
	for p, c := range seen {
		if c != 1 {
			t.Fatalf("sample %d appears in %d batches", p, c)
		}
	}
}

func TestMatchClassesAndDegenerate(t *testing.T) {
	acts := mat.NewDense(7, 2, []float64{0, 0, 1, 0, 2.5, 0, 0, 1, 0, 2, 5, 5, 9, 9})
	labels := []int{0, 0, 0, 1, 1, 2, 3}
	m, err := Match(acts, labels, MatchOptions{Classes: []int{0, 2}, Batch: 2, Anchors: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 4 || m.Unmatched != 1 {
		t.Fatalf("N = %d, Unmatched = %d; want 4 (classes 0 and 2), 1 (class 2 has one sample)", m.N, m.Unmatched)
	}
	for _, p := range []int{3, 4, 5, 6} {
		if m.Partner[p] != -1 {
			t.Errorf("sample %d: partner %d, want -1", p, m.Partner[p])
		}
	}
	// Class 0 pool is {0,1,2} and every anchor is drawn (5 > 3): nearest neighbours on the line.
	want := map[int]int{0: 1, 1: 0, 2: 1}
	for p, q := range want {
		if m.Partner[p] != q {
			t.Errorf("sample %d: partner %d, want %d", p, m.Partner[p], q)
		}
	}
	if _, err := Match(acts, labels[:3], MatchOptions{}); err == nil {
		t.Error("Match accepted mismatched labels")
	}
	if _, err := Match(acts, labels, MatchOptions{Classes: []int{7}}); err == nil {
		t.Error("Match accepted classes with no samples")
	}
}
