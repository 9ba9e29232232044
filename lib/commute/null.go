package commute

import (
	"fmt"
	"math"
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
	for i := 0; i < n; i++ {
		out.SetSym(i, i, k.At(w.Lo+i, w.Lo+i))
	}
	switch kind {
	case NullPermuteModes:
		perm := rng.Perm(n)
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				out.SetSym(i, j, k.At(w.Lo+perm[i], w.Lo+perm[j]))
			}
		}
	case NullShuffleEntries:
		vals := make([]float64, 0, n*(n-1)/2)
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				vals = append(vals, k.At(w.Lo+i, w.Lo+j))
			}
		}
		rng.Shuffle(len(vals), func(a, b int) { vals[a], vals[b] = vals[b], vals[a] })
		t := 0
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				out.SetSym(i, j, vals[t])
				t++
			}
		}
	case NullShuffleCorrelations:
		scale := func(i, j int) float64 {
			if p := out.At(i, i) * out.At(j, j); p > 0 {
				return math.Sqrt(p)
			}
			return 0
		}
		rs := make([]float64, 0, n*(n-1)/2)
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				r := 0.0
				if d := scale(i, j); d > 0 {
					r = k.At(w.Lo+i, w.Lo+j) / d
				}
				rs = append(rs, r)
			}
		}
		rng.Shuffle(len(rs), func(a, b int) { rs[a], rs[b] = rs[b], rs[a] })
		t := 0
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				out.SetSym(i, j, rs[t]*scale(i, j))
				t++
			}
		}
	default:
		return nil, fmt.Errorf("commute: unknown NullKind %d", int(kind))
	}
	return out, nil
}

// DiagonalNull evaluates every window metric of K (in H's eigenbasis, eigenvalues lambda
// descending) on opt.Draws draws of the diagonal-preserving null of each window (NullDraw),
// and summarises them per window (mean, sample sd) in the layout of Compute's baseline.
func DiagonalNull(k mat.Symmetric, lambda []float64, opt NullOptions) ([]BaselineMetrics, error) {
	m := k.SymmetricDim()
	if len(lambda) != m {
		return nil, fmt.Errorf("commute: DiagonalNull: %d eigenvalues for a %d×%d K", len(lambda), m, m)
	}
	if opt.Draws <= 0 {
		return nil, fmt.Errorf("commute: DiagonalNull: Draws = %d, want > 0", opt.Draws)
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
		var per [5][]float64
		for d := 0; d < opt.Draws; d++ {
			kd, err := NullDraw(k, w, opt.Kind, rng)
			if err != nil {
				return nil, err
			}
			wm, err := Evaluate(kd, lam, Full(w.Hi-w.Lo))
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
