// Package explore holds studies beyond the paper's claims, built with the same engine and
// reported the same way (*claims.Report): does γ depend on the batch size, does the
// superlinear law survive tanh activations (whose per-sample Hessians keep the residual
// Σ_c (∂l/∂f_c) ∇²f_c), label noise, another dataset (Fashion-MNIST), and is the layer-wise
// power law of v2 still there in the joint Hessian of two adjacent layers. They answer
// questions the paper leaves open and never count toward a claim's verdict.
package explore

import "github.com/noisecurv/noisecurv/lib/claims"

// All lists the explorations in the order `noisecurv reproduce` runs them, after the
// paper's claims (claims.All).
func All() []claims.Entry {
	return []claims.Entry{
		{ID: "ext", Name: "Beyond the paper", Fn: Beyond},
		{ID: "ext-joint", Name: "Joint Hessian of two layers", Fn: Joint},
	}
}
