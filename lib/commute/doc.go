// Package commute measures how nearly a matrix A (the SGD noise covariance C, the
// Activity–Weight-Duality matrix E_p[h_p²], a Fisher, ...) commutes with the Hessian H, with
// random spectrum-preserving baselines (docs/science.md claim C3). It is pure math on gonum
// matrices; its project imports are lib/fit (for Spearman and aggregation) and lib/linalg,
// through which every D³ product goes (gonum's own symmetric product is a serial loop).
//
// # Eigenbasis formulation
//
// Let H = V Λ Vᵀ with Λ = diag(λ_1 ≥ … ≥ λ_D) and K = Vᵀ A V (A in H's eigenbasis). Since
// the Frobenius norm is invariant under orthogonal changes of basis,
//
//	[A, H] = AH − HA = V [K, Λ] Vᵀ,   [K, Λ]_ij = K_ij (λ_j − λ_i),
//
// so the normalized commutator (claim C3) is
//
//	c(A, H) = |AH − HA|_F / (|A|_F |H|_F) = sqrt(Σ_ij K_ij² (λ_j − λ_i)²) / (|K|_F |λ|_2).
//
// It is 0 exactly when A is diagonal in H's eigenbasis up to rotations inside degenerate
// eigenspaces of H, and at most √2.
//
// # Windows
//
// A window S is a contiguous range of modes [Lo, Hi) (0-based, half-open: Window{Lo: 100,
// Hi: 1000} is the paper's bulk, modes 101..1000; Top(100) is modes 1..100). With the
// spectral projector P = V_S V_Sᵀ of H, PHP = HP = PH, hence [PAP, PHP] = P[A, H]P and
//
//	c_S = |[PAP, PHP]|_F / (|PAP|_F |PHP|_F) = sqrt(Σ_{i,j∈S} K_ij² (λ_j − λ_i)²) / (|K_SS|_F |λ_S|_2),
//
// computed from the S×S block of K only (O(|S|²) after the rotation, no D×D projectors).
// The authors' code normalises instead by |P A H P|_F = sqrt(Σ_{i,j∈S} K_ij² λ_j²); that
// value is reported too, as CommutatorAH. It is not bounded by √2 in the same way and is
// large for random matrices (about 1.4 for Haar-rotated Gaussian spectra at D = 200).
//
// Within a window the package also reports
//
//	OffDiagRatio   = RMS_{i≠j∈S} K_ij / RMS_{i∈S} K_ii   (NaN for a one-mode window)
//	DiagEnergy     = Σ_{i∈S} K_ii² / Σ_{i,j∈S} K_ij²       (1 for a diagonal K)
//	Spearman       = Spearman ρ of (K_ii, λ_i), i ∈ S       (average ranks for ties)
//
// # Random baseline
//
// The baseline keeps A's spectrum and randomises its eigenvectors: A_rand = Qᵀ diag(eig A) Q
// with Q Haar-distributed on O(D), the Q factor of a D×D standard Gaussian matrix with the
// signs fixed so that R_ii > 0 (Mezzadri 2007; without the fix Q is not Haar), generated
// from its Householder reflectors without factorizing anything (Stewart 1980; see
// HaarOrthogonal). By the invariance of the Haar measure, Vᵀ A_rand V has the same
// distribution, and eig A = eig K, so the baseline needs only the eigenvalues of K. Each
// draw is formed as Bᵀ₊B₊ − Bᵀ₋B₋ with the rows of B± the rows of Q scaled by sqrt(±eig),
// two symmetric rank-k updates worth D³ flops, and ComputeMany shares each draw's Q among
// several matrices. Several seeded draws give a mean and sample standard deviation of each
// metric. Cost per draw: 4D³/3 flops for Q plus D³ per matrix, after one values-only
// eigendecomposition and one rotation per matrix. The draws take their Gaussian values from
// the generator in draw order and are then formed side by side, one per core, each with
// single-threaded BLAS, so a draw's values do not depend on the number of threads.
//
// For Haar K_rand = Q diag(μ) Qᵀ, Weingarten calculus gives E K_ij² = (D tr μ² − (tr μ)²) /
// ((D−1) D (D+2)) for i ≠ j and E K_ii² = (2 tr μ² + (tr μ)²) / (D (D+2)), so
//
//	E c² = 2 (D tr μ² − (tr μ)²)(D tr λ² − (tr λ)²) / ((D−1) D (D+2) tr μ² tr λ²) ≈ 2/D,
//	E DiagEnergy = (2 tr μ² + (tr μ)²) / ((D+2) tr μ²),
//
// the first ≈ 2/D when both spectra are far from flat (tr² ≪ D tr μ²). A random matrix thus
// has a full-space commutator of only about √(2/D) (0.028 at D = 2500) and can come out
// below the data's, because Haar rotation spreads its mass over all D² entries of K
// (docs/science.md numerical facts). HaarCommutatorRMS and HaarDiagEnergy return these values;
// compare the windowed commutators, OffDiagRatio and DiagEnergy as well.
//
// # Diagonal-preserving null
//
// A matrix with a dominant diagonal in H's eigenbasis beats the Haar baseline whatever its
// off-diagonal part does. DiagonalNull keeps, in every window S, the diagonal of K_SS and
// the multiset of its off-diagonal entries, and scrambles which pairs of modes they couple
// (NullPermuteModes: K' = diag K + P offdiag(K) Pᵀ, P a random permutation of the window's
// modes; NullShuffleEntries: the entries reassigned to random pairs). DiagEnergy,
// OffDiagRatio and the diagonal's Spearman ρ are unchanged by construction, so only the
// commutators, Σ K_ij² (λ_j − λ_i)², can tell the data from the null: a data commutator many
// null standard deviations below the null mean (Z) means the off-diagonal mass couples modes
// of similar curvature. Each draw costs O(|S|²).
//
// # Heat maps
//
// Symlog(x; t) = sign(x) log10(1 + |x|/t) is linear near 0 (|x| ≪ t) and logarithmic for
// |x| ≫ t; SymlogBlock returns the top n×n block of K transformed for a heat map (Fig. 1).
package commute
