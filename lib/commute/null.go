package commute

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/enum"
	"github.com/noisecurv/noisecurv/lib/fit"
)

// The Haar baseline of Compute destroys everything about K but its spectrum, so a K with a
// dominant diagonal beats it whatever its off-diagonal part does. The diagonal-preserving
// null keeps, in every window S, the diagonal K_ii and the whole multiset of off-diagonal
// entries of the block K_SS, and scrambles only WHICH pairs of modes the off-diagonal entries
// couple. DiagEnergy, OffDiagRatio and Spearman(K_ii, λ_i) of a draw equal the data's
// exactly; the commutators differ only through where the off-diagonal mass sits, since
// c_S² ∝ Σ_{i≠j} K_ij² (λ_j − λ_i)². A data commutator well below this null (Z ≪ 0) says the
// off-diagonal mass couples modes of similar curvature: "commutes" beyond "has a dominant
// diagonal".

// NullKind selects how a diagonal-preserving null scrambles the off-diagonal part of K_SS.
type NullKind int

const (
	// NullPermuteModes draws K' = diag(K_SS) + P offdiag(K_SS) Pᵀ with P a uniformly random
	// permutation of the window's modes: the off-diagonal part keeps its structure (its
	// spectrum, its sparsity pattern up to relabelling), only its alignment with the λ order
	// is lost.
	NullPermuteModes NullKind = iota
	// NullShuffleEntries assigns the off-diagonal entries K_ij (i < j) to the pairs of the
	// window uniformly at random (K'_ji = K'_ij): a stronger scramble that keeps only their
	// distribution.
	NullShuffleEntries
	// NullShuffleCorrelations shuffles the correlations r_ij = K_ij / sqrt(K_ii K_jj) among
	// the pairs and rescales each by its new pair's diagonal: K'_ij = r_π(ij) sqrt(K_ii K_jj).
	// The two nulls above move a large entry of two sharp modes (whose diagonal is large) to a
	// pair of flat modes (whose eigengap is small), which lowers the commutator for a reason
	// that has nothing to do with commuting; this one keeps every entry's scale tied to its
	// pair's diagonal and scrambles only which pairs are correlated. Pairs with a
	// non-positive diagonal product carry r = 0.
	NullShuffleCorrelations
)

var nullKindNames = [...]string{
	NullPermuteModes:        "permute-modes",
	NullShuffleEntries:      "shuffle-entries",
	NullShuffleCorrelations: "shuffle-correlations",
}

func (k NullKind) String() string { return enum.Name(k, nullKindNames[:], "NullKind") }

// NullOptions configures DiagonalNull.
type NullOptions struct {
	Kind NullKind
	// Windows to evaluate; nil means DefaultWindows(m) for m modes.
	Windows []Window
	// Draws is the number of null draws per window (at least 2 for a standard deviation).
	// Each costs O(|S|²) per window, so hundreds are cheap.
	Draws int
	// Seed seeds the draws: rand.NewPCG(Seed, Seed^0x9E3779B97F4A7C15).
	Seed uint64
}

// NullDraw returns one draw of the diagonal-preserving null of the window block K_SS
// (|S|×|S|, modes in window order: entry (i, j) is mode (w.Lo+i, w.Lo+j)).
func NullDraw(k mat.Symmetric, w Window, kind NullKind, rng *rand.Rand) (*mat.SymDense, error) {
	if err := w.check(k.SymmetricDim()); err != nil {
		return nil, err
	}
	n := w.Hi - w.Lo
	out := mat.NewSymDense(n, nil)
	switch kind {
	case NullPermuteModes:
		for i := 0; i < n; i++ {
			out.SetSym(i, i, k.At(w.Lo+i, w.Lo+i))
		}
		perm := rng.Perm(n)
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				out.SetSym(i, j, k.At(w.Lo+perm[i], w.Lo+perm[j]))
			}
		}
	case NullShuffleEntries, NullShuffleCorrelations:
		z := newShuffleNull(k, w, kind)
		z.draw(rng)
		row := make([]float64, n)
		for i, t := 0, 0; i < n; i++ {
			out.SetSym(i, i, z.diag[i])
			for j, v := range z.row(i, t, row) {
				out.SetSym(i, i+1+j, v)
			}
			t += n - 1 - i
		}
	default:
		return nil, fmt.Errorf("commute: unknown NullKind %d", int(kind))
	}
	return out, nil
}

// shuffleNull draws the two shuffling nulls of one window without forming the block: the
// off-diagonal values (K_ij, or r_ij for NullShuffleCorrelations) of the upper triangle are
// gathered once in row order, and each draw shuffles a copy of them. NullDraw writes a draw
// into a matrix; DiagonalNull sums it row by row (blockSums.addRow) as Evaluate would sum
// that matrix, so both give the same numbers bit for bit.
type shuffleNull struct {
	kind NullKind
	diag []float64 // K_ii of the window's modes
	base []float64 // off-diagonal values, pairs (i, j > i) in row order
	work []float64 // the current draw's values, a permutation of base
}

func newShuffleNull(k mat.Symmetric, w Window, kind NullKind) *shuffleNull {
	n := w.Hi - w.Lo
	z := &shuffleNull{kind: kind, diag: make([]float64, n), base: make([]float64, 0, n*(n-1)/2)}
	for i := range z.diag {
		z.diag[i] = k.At(w.Lo+i, w.Lo+i)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			v := k.At(w.Lo+i, w.Lo+j)
			if kind == NullShuffleCorrelations {
				r := 0.0
				if d := z.scale(i, j); d > 0 {
					r = v / d
				}
				v = r
			}
			z.base = append(z.base, v)
		}
	}
	z.work = make([]float64, len(z.base))
	return z
}

// scale is sqrt(K_ii K_jj), or 0 when that product is not positive (such pairs carry r = 0).
func (z *shuffleNull) scale(i, j int) float64 {
	if p := z.diag[i] * z.diag[j]; p > 0 {
		return math.Sqrt(p)
	}
	return 0
}

// draw makes work a fresh uniformly random permutation of base.
func (z *shuffleNull) draw(rng *rand.Rand) {
	copy(z.work, z.base)
	shuffle(z.work, rng)
}

// row returns the entries K'_{i,i+1..n-1} of the current draw, whose values start at work[t]
// (t = Σ_{i'<i} (n−1−i')); dst (len ≥ n−1−i) holds them when they must be rescaled.
func (z *shuffleNull) row(i, t int, dst []float64) []float64 {
	n := len(z.diag)
	vals := z.work[t : t+n-1-i]
	if z.kind != NullShuffleCorrelations {
		return vals
	}
	dst = dst[:len(vals)]
	for j, r := range vals {
		dst[j] = r * z.scale(i, i+1+j)
	}
	return dst
}

// sums returns the window sums of the current draw (lam: the window's eigenvalues).
func (z *shuffleNull) sums(lam, dst []float64) blockSums {
	n := len(z.diag)
	s := blockSums{n: n}
	for i, t := 0, 0; i < n; i++ {
		s.addRow(i, z.diag[i], z.row(i, t, dst), lam)
		t += n - 1 - i
	}
	return s
}

// shuffle permutes a exactly as rng.Shuffle(len(a), swap) would, leaving rng in the same
// state: the same Fisher–Yates steps with the same bounded draws (math/rand/v2's uint64n,
// restated below; TestShuffleMatchesRand guards the equivalence). The draws are made 64 at a
// time ahead of their swaps, so the swaps' random reads of a (25 MB at D = 2500) overlap in
// memory instead of waiting one by one behind the generator: 2.5x faster at that size.
func shuffle(a []float64, rng *rand.Rand) {
	var js [64]int
	for i := len(a) - 1; i > 0; {
		m := min(len(js), i)
		for q := 0; q < m; q++ {
			js[q] = int(uint64n(rng, uint64(i-q+1)))
		}
		for q := 0; q < m; q++ {
			p, j := i-q, js[q]
			a[p], a[j] = a[j], a[p]
		}
		i -= m
	}
}

// uint64n is math/rand/v2's (*Rand).uint64n on 64-bit platforms: a uniform value in [0, n)
// by Lemire's multiply-and-reject method.
func uint64n(rng *rand.Rand, n uint64) uint64 {
	if n&(n-1) == 0 {
		return rng.Uint64() & (n - 1)
	}
	hi, lo := bits.Mul64(rng.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(rng.Uint64(), n)
		}
	}
	return hi
}

// DiagonalNull evaluates every window metric of K (in H's eigenbasis, eigenvalues lambda
// descending) on opt.Draws draws of the diagonal-preserving null of each window (NullDraw),
// and summarises them per window (mean, sample sd) in the layout of Compute's baseline.
// The shuffling kinds never form a draw's matrix: each draw is summed straight from the
// shuffled values, with the numbers Evaluate(NullDraw(...)) would give.
func DiagonalNull(k mat.Symmetric, lambda []float64, opt NullOptions) ([]BaselineMetrics, error) {
	m := k.SymmetricDim()
	if len(lambda) != m {
		return nil, fmt.Errorf("commute: DiagonalNull: %d eigenvalues for a %d×%d K", len(lambda), m, m)
	}
	if opt.Draws <= 0 {
		return nil, fmt.Errorf("commute: DiagonalNull: Draws = %d, want > 0", opt.Draws)
	}
	switch opt.Kind {
	case NullPermuteModes, NullShuffleEntries, NullShuffleCorrelations:
	default:
		return nil, fmt.Errorf("commute: DiagonalNull: unknown NullKind %d", int(opt.Kind))
	}
	ws := opt.Windows
	if ws == nil {
		ws = DefaultWindows(m)
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9E3779B97F4A7C15))
	var out []BaselineMetrics
	for _, w := range ws {
		if err := w.check(m); err != nil {
			return nil, err
		}
		lam := lambda[w.Lo:w.Hi]
		full := Full(w.Hi - w.Lo)
		var z *shuffleNull
		var dst []float64
		if opt.Kind != NullPermuteModes {
			z = newShuffleNull(k, w, opt.Kind)
			dst = make([]float64, len(z.diag))
		}
		var per [5][]float64
		for d := 0; d < opt.Draws; d++ {
			var wm WindowMetrics
			var err error
			if z != nil {
				z.draw(rng)
				wm, err = z.sums(lam, dst).metrics(full, z.diag, lam)
			} else {
				var kd *mat.SymDense
				if kd, err = NullDraw(k, w, opt.Kind, rng); err == nil {
					wm, err = Evaluate(kd, lam, full)
				}
			}
			if err != nil {
				return nil, fmt.Errorf("commute: null draw %d of window %q: %w", d, w.Name, err)
			}
			for j, v := range metricValues(wm) {
				per[j] = append(per[j], v)
			}
		}
		out = append(out, BaselineMetrics{Window: w,
			Commutator: fit.Aggregate(per[0]), CommutatorAH: fit.Aggregate(per[1]),
			OffDiagRatio: fit.Aggregate(per[2]), DiagEnergy: fit.Aggregate(per[3]), Spearman: fit.Aggregate(per[4]),
			Commutators: per[0]})
	}
	return out, nil
}

func metricValues(wm WindowMetrics) [5]float64 {
	return [5]float64{wm.Commutator, wm.CommutatorAH, wm.OffDiagRatio, wm.DiagEnergy, wm.Spearman}
}

// MetricZ holds one z-score per window metric.
type MetricZ struct {
	Commutator, CommutatorAH, OffDiagRatio, DiagEnergy, Spearman float64
}

// Z returns the z-score (data − mean)/sd of every metric of the data window against a
// baseline or null summary of the same window: how many standard deviations of the random
// draws the data lies from their mean (negative commutator z: more commuting than random).
// A metric without spread (sd NaN from a single draw, or sd at rounding level, 1e-12 of the
// values, from a null that keeps the metric fixed) gets NaN when the data equals the mean to
// 1e-9 and ±Inf otherwise.
func Z(data WindowMetrics, base BaselineMetrics) MetricZ {
	z := func(x float64, s fit.Summary) float64 {
		d := x - s.Mean
		scale := math.Max(math.Abs(x), math.Abs(s.Mean))
		if s.Std > 1e-12*scale {
			return d / s.Std
		}
		if math.IsNaN(d) || math.Abs(d) <= 1e-9*scale {
			return math.NaN()
		}
		return math.Inf(int(math.Copysign(1, d)))
	}
	return MetricZ{
		Commutator: z(data.Commutator, base.Commutator), CommutatorAH: z(data.CommutatorAH, base.CommutatorAH),
		OffDiagRatio: z(data.OffDiagRatio, base.OffDiagRatio), DiagEnergy: z(data.DiagEnergy, base.DiagEnergy),
		Spearman: z(data.Spearman, base.Spearman),
	}
}

// Zs returns Z for every data window against the baseline window of the same name (in the
// order of data; windows without a baseline are left out).
func Zs(data []WindowMetrics, base []BaselineMetrics) map[string]MetricZ {
	out := map[string]MetricZ{}
	for _, d := range data {
		for _, b := range base {
			if b.Window == d.Window {
				out[d.Window.Name] = Z(d, b)
			}
		}
	}
	return out
}
