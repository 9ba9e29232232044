// Package awd implements the Activity–Weight Duality (AWD) analysis of SGD noise (claim C2
// of docs/science.md): the decomposition of the noise covariance C into terms built from
// per-sample Hessians h_p, and its isotropic reduction C ≈ (σ_w²/2B) E_p[h_p²].
//
// # Duality
//
// For a dense layer z = W a (W is Dout x Din, no bias) and a partner sample x' whose input
// activity is a' = a + Δa, the minimal-Frobenius-norm weight change with (W + ΔW) a = W a' is
//
//	ΔW* = (W Δa) aᵀ / |a|²,   Δw = vec(ΔW*) = u ⊗ a / |a|²,   u = W Δa,
//
// (vec is row-major, index o·Din + j, nn's block layout). Since z, and so everything
// downstream, is identical, l(x'; W) = l(x; W + ΔW*) exactly (DualWeight).
//
// # AWD gradient difference
//
// Differentiating the duality in W, g(x'; W) = (I + J)ᵀ ∇l(x; W + Δw) with the Jacobian
// J = ∂Δw/∂W = I_Dout ⊗ (a Δaᵀ)/|a|² (rows: Δw index, columns: W index). To first order
//
//	g_{p'} − g_p ≈ h_p Δw_p  (term I)  +  J_pᵀ g_p  (term II).
//
// With g_p = δ_p ⊗ a_p and the Kronecker form h_p = M_p ⊗ a_p a_pᵀ (M_p = B_pᵀ Q_p B_p, exact
// when the network after the target layer is piecewise linear) both terms are rank one:
//
//	t^I_p  = h_p Δw_p = (M_p u_p) ⊗ a_p,       t^II_p = J_pᵀ g_p = δ_p ⊗ Δa_p,
//
// so no per-sample D x D matrix is ever formed. The exact difference is
// g_{p'} − g_p = δ_{p'} ⊗ a_{p'} − δ_p ⊗ a_p (Options.Exact); the first-order vector drops
// the second-order piece (M_p u_p) ⊗ Δa_p from it (δ_{p'} = δ_p + M_p u_p + O(u²)).
//
// # Partners (Match)
//
// As in the authors' code: the participating samples are shuffled once and cut into
// matching batches of 64; for every batch, 20 anchors per class are drawn without replacement
// from all samples of that class; each sample's partner is the nearest anchor of its own class
// (Euclidean distance of the target layer's INPUT activities), excluding the sample itself.
//
// # Covariance terms
//
// With N participating samples, matching batches b, B the noise batch size (Options.NoiseBatch,
// default the matching batch, which is what the authors' code divides by) and
// X_b = Σ_{p∈b} t_p:
//
//	same-sample ("SD"):  C^{xy,SD} = (1/(B N)) Σ_p t^x_p t^y_pᵀ
//	full:                C^{xy}    = (1/(B N)) Σ_b X^x_b X^y_bᵀ
//
// for x, y ∈ {I, II}: C^hh = C^{I,I}, C^gg = C^{II,II}, C^hg = sym C^{I,II} (symmetrized), so
// that C^hh + 2 C^hg + C^gg is exactly the same normalization of the first-order difference
// vectors t^I + t^II (Total, TotalSD). The full terms keep the correlations between samples
// of one batch that share anchors.
//
// Diagonal perturbation covariance ("WD"): with h_p = Σ_m κ_pm u_pm u_pmᵀ, replacing
// M^w_p = Δw_p Δw_pᵀ by its diagonal in h_p's eigenbasis gives
//
//	C^{hh,SD,WD} = (1/(B N)) Σ_p Σ_m κ_pm² (u_pm·Δw_p)² u_pm u_pmᵀ
//	             = (1/(B N)) Σ_p [Σ_m μ_pm² (e_pm·u_p)² e_pm e_pmᵀ] ⊗ a_p a_pᵀ,
//
// using κ = μ|a|², u = e ⊗ a/|a| for the eigenpairs (μ, e) of M_p. Isotropic M^w_p = σ_w² I
// gives h_p σ_w² h_p, i.e. σ_w² E_p[h_p²] after averaging.
//
// # The constant σ_w²/(2B)
//
// SGD noise C is the covariance of one minibatch gradient g_μ; the difference of two
// independent minibatch gradients has covariance 2C. AWD writes that difference as
// (1/B) Σ_{p∈ν} h_p Δw_p; with independent zero-mean Δw_p of covariance M^w_p,
//
//	2C ≈ (1/B²) Σ_p h_p M^w_p h_p = (1/B) E_p[h_p M^w_p h_p],   so   C ≈ (1/(2B)) E_p[h_p M^w_p h_p],
//
// and M^w_p = σ_w² I gives C ≈ (σ_w²/(2B)) E_p[h_p²] (the authors' Theorem 1). The terms above
// are normalized like the authors' code, (1/B) E_p[t tᵀ]: they estimate 2C, not C (the
// authors label their (1/B) E_p[h_p²] "2C/σ_w²"). Diagonals.Iso is the prediction
// (σ_w²/(2B)) E_p[h_p²] itself. The slopes of log-log fits do not depend on these constants.
//
// σ_w² is estimated as SigmaW2 = E_p|Δw_p|²/D (isotropic covariance with the trace of the
// observed Δw_p Δw_pᵀ); SigmaW2Eff = tr C^{hh,SD} / tr((1/B) E_p[h_p²]) is the value that makes
// the isotropic reduction match C^{hh,SD} in trace. They can differ by a large factor:
// Δw_p = u_p ⊗ a_p/|a_p|² lies entirely in the a_p-column space, where h_p lives, rather than
// spreading over all D directions as an isotropic perturbation would. The authors' code
// estimates neither (only slopes and norms are compared).
//
// # Reading in H's eigenbasis
//
// Everything is returned as diagonals v_iᵀ A v_i in a basis (Options.Basis, normally H's
// eigenvectors by eigenvalue descending, e.g. from curv.Analysis with KeepVectors), Frobenius
// norms, and log-log fits (lib/fit) of each diagonal against H_ii and against [E_p h_p²]_ii.
// Same-sample terms are dense D x D matrices built by one symmetric rank-k update per chunk
// of stacked per-sample rows (sym C^{hg,SD} from the syrk of t^I + t^II); full terms have only
// one row per batch and are read through n_b x k projections and n_b x n_b Gram matrices while
// n_b <= D. E_p[h_p²] and the WD term are Σ_p K_p ⊗ a_p a_pᵀ sums, one gemm per chunk over
// vech(K_p) and vech(a_p a_pᵀ).
//
// # Differences from the authors' code (Yikuan-PKU/AWCH, AWD_cuda.py, cal_C_cuda) — deliberate
//
//   - C^hg is symmetrized and the total is C^hh + 2 C^hg + C^gg, the covariance of the
//     first-order difference. The authors' saved "C" is C1 + C2 + C3 (cross term once,
//     unsymmetrized); its diagonal and norm are kept as CodeTotal for comparison.
//   - The sample itself is excluded by index (and exact duplicates by distance < 1e-6) in
//     float64. The authors detect self by a float32 distance < 1e-6 from torch.cdist, whose
//     matrix-product path can leave a self-distance above 1e-6, pairing a sample with itself
//     (Δa = 0) when it is drawn as an anchor of its batch (about Anchors/class size of the time).
//   - Kronecker shortcuts replace dense per-sample Hessians (same values up to rounding;
//     float64 instead of float32). The WD term uses h_p's nonzero modes only (null modes
//     contribute zero); for repeated nonzero per-sample eigenvalues it depends on the chosen
//     eigenbasis, as in the authors' per-sample eigh.
//   - Random streams are PCG (math/rand/v2), not torch's: the protocol is the same, the
//     particular partners are not.
//   - E_p[h_p²] is returned unscaled (the authors return (1/B) E_p[h_p²]); σ_w² is estimated.
//   - The exact-difference terms (Options.Exact) are an addition.
//
// Samples without an admissible partner (a class with a single sample) or with a_p = 0 (no
// dual weight) contribute zero vectors but count in N, as in the authors' normalization.
// The target must be ONE bias-free dense layer with a piecewise-linear network after it;
// otherwise Analyze fails with an error wrapping ErrInput (and curv.ErrNotFactorizable where
// that is the reason).
package awd
