package awd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Defaults of the authors' matching (Yikuan-PKU/AWCH, cal_C_cuda_multi.py calls
// AWD_cuda.cal_C_cuda with batch_size=64 and sample_number=20).
const (
	DefaultMatchBatch = 64
	DefaultAnchors    = 20
	DefaultSelfTol    = 1e-6
)

// MatchOptions configures Match. The zero value is the authors' setting.
type MatchOptions struct {
	// Batch is the number of samples per matching batch (0 = 64). Anchors are redrawn for
	// every batch, and the "full" AWD terms correlate the samples of one batch.
	Batch int
	// Anchors is the number of anchors drawn per class and batch (0 = 20); a class with
	// fewer samples contributes all of them.
	Anchors int
	// Classes lists the participating labels ("sample_holder"); samples with other labels
	// are left out of the analysis. nil = every label present, ascending.
	Classes []int
	// SelfTol: anchors closer than this (Euclidean) are treated as the sample itself and
	// skipped (0 = 1e-6, the authors' threshold). The sample's own index is always skipped.
	SelfTol float64
	// Seed seeds the shuffle of the samples and the anchor draws
	// (rand.NewPCG(Seed, Seed^0x9E3779B97F4A7C15)).
	Seed uint64
	// Random picks each sample's partner uniformly among its admissible same-class anchors
	// instead of the nearest one: a control with the same classes, batches and anchors but
	// partners as far apart as the class allows (the duality itself holds for any partner).
	Random bool
}

// Matching is the result of Match. Indices refer to the rows of the activity matrix.
type Matching struct {
	// Partner[p] is the index of sample p's partner, or -1 when p does not participate or
	// has no admissible anchor (its class has no other sample among the anchors).
	Partner []int
	// Dist[p] = |a_p - a_Partner[p]| (NaN when unmatched).
	Dist []float64
	// Batches lists the participating samples of each matching batch, in processing order.
	Batches [][]int
	// Anchors lists, per batch, the anchor indices drawn for it (classes in Classes order).
	Anchors [][]int
	// Classes are the participating labels.
	Classes []int
	// N is the number of participating samples; Unmatched how many of them got no partner.
	N, Unmatched int
}

func (o MatchOptions) withDefaults() MatchOptions {
	if o.Batch == 0 {
		o.Batch = DefaultMatchBatch
	}
	if o.Anchors == 0 {
		o.Anchors = DefaultAnchors
	}
	if o.SelfTol == 0 {
		o.SelfTol = DefaultSelfTol
	}
	return o
}

// Match pairs every sample with a same-class partner in activity space, following the
// authors' protocol (Yikuan-PKU/AWCH, AWD_cuda.py, cal_C_cuda):
//
//  1. the participating samples (labels in Classes) are shuffled once and cut into
//     consecutive batches of Batch samples (the last one may be smaller);
//  2. for each batch and each class c, Anchors samples are drawn without replacement from
//     ALL participating samples of class c (not only the batch);
//  3. each sample's partner is the anchor of its own class nearest in Euclidean distance
//     of the activities acts (the target layer's input, one row per sample), skipping the
//     sample itself.
//
// Ties go to the earlier anchor in draw order. The result depends only on the inputs and
// the seed.
func Match(acts *mat.Dense, labels []int, opts MatchOptions) (*Matching, error) {
	opts = opts.withDefaults()
	n, din := acts.Dims()
	if len(labels) != n {
		return nil, fmt.Errorf("awd: Match: %d labels for %d activity rows", len(labels), n)
	}
	if opts.Batch < 1 || opts.Anchors < 1 || opts.SelfTol < 0 {
		return nil, fmt.Errorf("awd: Match: MatchOptions{Batch: %d, Anchors: %d, SelfTol: %g}, want Batch >= 1, Anchors >= 1, SelfTol >= 0", opts.Batch, opts.Anchors, opts.SelfTol)
	}
	classes := opts.Classes
	if classes == nil {
		seen := map[int]bool{}
		for _, y := range labels {
			if !seen[y] {
				seen[y] = true
				classes = append(classes, y)
			}
		}
		sort.Ints(classes)
	} else {
		classes = slices.Clone(classes)
	}
	pools := make(map[int][]int, len(classes))
	for _, c := range classes {
		if _, dup := pools[c]; dup {
			return nil, fmt.Errorf("awd: Match: MatchOptions.Classes lists label %d twice", c)
		}
		pools[c] = []int{}
	}
	var valid []int
	for p, y := range labels {
		if _, ok := pools[y]; ok {
			pools[y] = append(pools[y], p)
			valid = append(valid, p)
		}
	}
	if len(valid) == 0 {
		return nil, fmt.Errorf("awd: Match: no sample has a label in %v", classes)
	}
	m := &Matching{
		Partner: make([]int, n), Dist: make([]float64, n), Classes: classes, N: len(valid),
	}
	for p := range m.Partner {
		m.Partner[p] = -1
		m.Dist[p] = math.NaN()
	}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9E3779B97F4A7C15))
	order := slices.Clone(valid)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

	type cand struct {
		idx  int
		dist float64
	}
	var cands []cand
	for s := 0; s < len(order); s += opts.Batch {
		batch := order[s:min(len(order), s+opts.Batch)]
		m.Batches = append(m.Batches, batch)
		// Anchors of this batch, class by class (a fresh permutation of each class pool).
		var anchors []int
		byClass := make(map[int][]int, len(classes))
		for _, c := range classes {
			pool := pools[c]
			perm := rng.Perm(len(pool))
			k := min(len(pool), opts.Anchors)
			chosen := make([]int, k)
			for i := range chosen {
				chosen[i] = pool[perm[i]]
			}
			byClass[c] = chosen
			anchors = append(anchors, chosen...)
		}
		m.Anchors = append(m.Anchors, anchors)
		for _, p := range batch {
			ap := acts.RawRowView(p)
			cands = cands[:0]
			for _, q := range byClass[labels[p]] {
				if q == p {
					continue // the sample itself (the authors skip it by distance < 1e-6)
				}
				aq := acts.RawRowView(q)
				var d2 float64
				for j := 0; j < din; j++ {
					d := ap[j] - aq[j]
					d2 += d * d
				}
				d := math.Sqrt(d2)
				if d < opts.SelfTol {
					continue // an exact duplicate of the sample counts as itself
				}
				cands = append(cands, cand{q, d})
			}
			if len(cands) == 0 {
				m.Unmatched++
				continue
			}
			best := cands[0]
			if opts.Random {
				best = cands[rng.IntN(len(cands))]
			} else {
				for _, c := range cands[1:] {
					if c.dist < best.dist {
						best = c
					}
				}
			}
			m.Partner[p], m.Dist[p] = best.idx, best.dist
		}
	}
	return m, nil
}
