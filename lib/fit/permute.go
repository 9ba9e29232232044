package fit

import (
	"math/rand/v2"
	"slices"
)

// PermutationNull returns stat(x', y) for draws random permutations x' of x (seeded by seed,
// sorted ascending): the distribution of the statistic when x carries no information about
// y. A statistic measured on the real pairing is significant at level 1 − q when it exceeds
// Percentile(null, 100q). x is not modified.
func PermutationNull(x, y []float64, stat func(x, y []float64) float64, draws int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0x7065726d75746521))
	xp := slices.Clone(x)
	out := make([]float64, draws)
	for d := range out {
		r.Shuffle(len(xp), func(i, j int) { xp[i], xp[j] = xp[j], xp[i] })
		out[d] = stat(xp, y)
	}
	slices.Sort(out)
	return out
}
