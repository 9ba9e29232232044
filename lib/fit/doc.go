// Package fit holds the statistics of noisecurv: log-log power-law fits of noise against
// curvature (docs/science.md claim C4), rank and linear correlation, aggregation over seeds, the
// curvature bounds of claim C6 and the per-sample spectrum suppression experiment (Fig. 5).
// It works on plain values ([]float64, *mat.Dense) and imports no other project package.
//
// # Power-law fit (claim C4)
//
// Given diagonals in the eigenbasis of H, x_i = H_ii and y_i = C_ii (or [E h^2]_ii), the
// model is C_ii ≈ c H_ii^γ, i.e. log10 y = b + γ log10 x. LogLog fits it by ordinary least
// squares on the points a window rule selects:
//
//	γ = S_xy / S_xx,  b = ȳ − γ x̄,  R² = S_xy² / (S_xx S_yy)   (sums over centred log values)
//
// R² is r², as scipy.stats.linregress reports it (0 when the log y values are constant).
// The standard error of γ is sqrt((1−r²) S_yy / S_xx / (n−2)).
//
// Rule V1 (the paper's Table 1): the inputs are already sorted by H_ii descending; take the
// first N' points in the order given and keep those where x > 0 and y > 0. Non-positive
// values (softmax+MSE has small negative eigenvalues, docs/science.md "numerical facts") are
// counted in Result.Dropped.
//
// Rule V2 (the paper's v2 layer-wise rule): drop non-positive points, sort the rest by x
// descending (stable), drop points whose log10 x or log10 y is strictly below the 5th
// percentile of that log variable (percentiles over all positive points), then fit the first
// floor(0.8 m) of the m remaining points, i.e. the 80% with the largest x. Percentiles are
// numpy.percentile's default "linear" method: for sorted a_0..a_{n-1} and q in [0,100],
// h = (n−1) q/100, j = floor(h), t = h − j, P = a_j + t (a_{j+1} − a_j), evaluated like
// numpy's _lerp (b − (b−a)(1−t) when t ≥ 0.5) so results agree to the last bit.
//
// Bootstrap: the percentile bootstrap resamples the n used points with replacement B times,
// refits γ each time, and reports the (α/2, 1−α/2) percentiles (numpy linear definition) of
// the B slopes; resamples whose x values are all equal are skipped and counted.
//
// # Correlation
//
// Pearson r = Σ(x−x̄)(y−ȳ) / sqrt(Σ(x−x̄)² Σ(y−ȳ)²). Spearman ρ is Pearson's r of the ranks,
// with tied values given the average of the ranks they span (scipy.stats.spearmanr). A
// constant input gives NaN, as in scipy.
//
// # Curvature bounds (claim C6)
//
// With per-sample eigen-decompositions h_p = Σ_m κ_pm u_pm u_pmᵀ and w_pmi = (u_pm·v_i)²,
//
//	H_ii = E_p Σ_m κ_pm w_pmi,   [E h²]_ii = E_p Σ_m κ_pm² w_pmi.
//
// Since Σ_m w_pmi ≤ 1 (orthonormal u_pm), Cauchy–Schwarz and Jensen give H_ii² ≤ [E h²]_ii
// for any per-sample spectra, and when every h_p is PSD (κ_pm ∈ [0, κ_max]) also
// [E h²]_ii ≤ κ_max H_ii. The effective curvature κ_eff,i = [E h²]_ii / H_ii lies between
// H_ii and κ_max; γ > 1 means κ_eff grows with H_ii. CheckBounds counts violations with a
// relative tolerance and separates those in numerically null directions (|H_ii| and
// |[E h²]_ii| both at rounding level relative to their maxima), where the sign of either side
// is noise.
//
// # Suppression experiment (claim C6, Fig. 5)
//
// Spectra stores κ_pm and w_pmi for N samples, K modes and n directions in flat slices
// (see Spectra for the strides). Diagonals recomputes H_ii and [E h²]_ii from a possibly
// edited κ. As in the paper, the noise diagonal of an edited spectrum is the AWD proxy
// C_ii := [E h²]_ii (the isotropic-AWD covariance C ≈ (σ_w²/2B) E_p[h_p²] of claim C2 up to
// its constant, which does not change γ). The four edits are (1) original; (2) cut at k=1:
// κ_pm ← 1e-5 κ_pm for m ≥ 2; (3) cut + stiff-preserve: with τ = 1e-3 max_p κ_p1, samples
// with κ_p1 ≤ τ ("soft") get κ_p1 ← 1e-3 κ_p1; (4) cut + stiff mean collapse: as (3), and
// the samples with κ_p1 > τ ("stiff") get κ_p1 ← mean of κ_p1 over the stiff set. Edit (4)
// therefore contains edit (3) (this matches the authors' reference code, where mean collapse
// is a flag on the stiff-preserve edit); with every sample stiff and one mode each, (4)
// makes every κ equal to one constant k, so [E h²]_ii = k H_ii and γ = 1 exactly.
//
// The gap metric of direction i after k modes is the cumulative share of the noise energy
// e_pmi = κ_pm² w_pmi captured by the first k stored modes. GapPooled (the default) pools
// samples, G_ik = Σ_p Σ_{m≤k} e_pmi / Σ_p Σ_m e_pmi; GapMeanOfRatios averages the per-sample
// shares, G_ik = mean_p Σ_{m≤k} e_pmi / Σ_m e_pmi, as the authors' code does (samples with
// zero energy in direction i are left out of that direction's mean instead of giving NaN).
//
// # Permutation nulls
//
// PermutationNull gives the distribution of a statistic of paired samples when the pairing is
// destroyed (seeded random permutations); PermutationQuantile turns it into a threshold (the
// q-quantile) and PermutationP into a one-sided p-value, (1 + #{null ≥ observed})/(1 + draws).
package fit
