// Package curv computes the curvature and gradient-noise matrices of one parameter block of a
// network at a fixed point of training, exactly, on a whole training subset: the quantities
// of Zhang, Yang & Tu, arXiv 2602.05600, in the notation of docs/science.md.
//
// # Quantities
//
// With per-sample losses l_p (p = 1..N), per-sample gradients g_p, full gradient
// g = (1/N) sum_p g_p and per-sample Hessians h_p on the block (D parameters):
//
//	H        = E_p[h_p]                                         Hessian
//	C        = (1/B) (E_p[g_p g_p^T] - g g^T)                   SGD noise covariance, Eq. 2
//	Covar    = mean_b g_b g_b^T - g g^T                         authors' minibatch estimator
//	E h^2    = E_p[h_p^2]                                       AWD prediction (C2, C6)
//	EF       = E_p[g_p g_p^T]                                   empirical Fisher
//	F        = E_p sum_c p_c g_p(c) g_p(c)^T                    true Fisher (labels ~ model)
//	GGN      = E_p[J_p^T Q_p J_p]                               Gauss-Newton
//	H - GGN  = E_p sum_c (dl_p/dz_c) hess z_c                   residual (C1)
//
// J_p = dz/dtheta is the per-sample logit Jacobian and Q_p = d^2 l_p/dz^2 the logit Hessian
// (nn.Loss.LogitHessian). For the true Fisher the expectation over the model's label
// distribution p = softmax(z_p) is taken exactly (sum over the C classes, no sampling), for
// every loss; for softmax cross-entropy sum_c p_c (p - e_c)(p - e_c)^T = diag(p) - p p^T = Q_p,
// so F = GGN exactly (tested). Covar shuffles the N samples once with the seeded PCG stream,
// cuts the permutation into consecutive minibatches of size B, KEEPS a last partial minibatch
// (drop_last=false, PyTorch's default; docs/science.md does not say the authors drop it) as one
// minibatch with its own mean, and subtracts g g^T with the full-data g.
//
// "Diagonal" means in H's eigenbasis, eigenvalues sorted descending: H = V diag(lambda) V^T,
// A_ii = v_i^T A v_i (Diag reads only A's upper triangle, splitting it recursively into halves:
// v^T A v = v_1^T A_11 v_1 + v_2^T A_22 v_2 + 2 (A_12 v_2).v_1, one gemm per off-diagonal block
// and panel of V, about half the flops of A V; Rotate forms V^T A V).
//
// # The Kronecker factorization (docs/science.md, "Structure that makes exact computation cheap")
//
// Let the block be ONE dense layer z = W a (+ b), W of shape Dout x Din, and write
// a~ = a (or [a; 1] with the bias). The logits depend on W only through z, so by the chain rule
// for every network
//
//	g_p = delta_p (x) a~_p,   delta_p = dl_p/dz_p = B_p^T G_p,   J_p = B_p (x) a~_p^T,
//
// with B_p = dz_logits/dz (Classes x Dout) obtained by backpropagating the C unit vectors of
// the logits through the downstream layers (Factors.Jac) and G_p = dl_p/dz_logits. The second
// derivative adds sum_c (dl/dz_c) d^2 z_c/dW^2; when every layer after the target is piecewise
// linear (ReLU, max/avg pooling, flatten, dense, conv; no tanh, no normalization) the logits
// are piecewise linear in W, so d^2 z_c/dW^2 = 0 almost everywhere and exactly
//
//	h_p = J_p^T Q_p J_p = M_p (x) a~_p a~_p^T,   M_p = B_p^T Q_p B_p   (Dout x Dout).
//
// Consequences used here: rank h_p <= Classes; h_p^2 = M_p^2 (x) |a~_p|^2 a~_p a~_p^T; the
// eigenpairs of h_p are (mu |a~_p|^2, e (x) a~_p/|a~_p|) for the eigenpairs (mu, e) of M_p
// (PerSampleSpectra); and every matrix above is a sum
//
//	K = (1/N) sum_p M^K_p (x) a~_p a~_p^T
//
// with M^H = B^T Q B, M^{h^2} = |a~|^2 B^T Q B B^T Q B, M^{EF} = delta delta^T,
// M^F = B^T (sum_c p_c r_c r_c^T) B (r_c the logit gradient for label c). Indexing the block
// row-major, K[(i,j),(k,l)] = (1/N) sum_p M_p[i,k] a~_j a~_l, which is ONE matrix product
// U^T W of U (N x Dout(Dout+1)/2, rows vech M_p) and W (N x In(In+1)/2, rows vech a~ a~^T),
// followed by a scatter; the vech halves (symmetry of both factors) cut the flops 4x against
// vec x vec: 2 N (D/2)^2 instead of N D^2 per sample-sum, chunked over N (Problem.Chunk,
// default 2048 rows) so memory stays bounded. Matrix-vector products need no D x D matrix:
// with V the Dout x In reshape of v, (M_p (x) a~ a~^T) v = vec(M_p V a~ a~^T) (Operator).
//
// When the assumption fails the factorized route refuses with an error wrapping
// ErrNotFactorizable that names the offending layer and says to use Method HVP: per-sample
// Hessian-vector products computed exactly by forward-over-reverse (nn.Model.PerSampleHVP),
// D products with the basis vectors give H column by column, and since h_p is symmetric
// E_p[h_p^2] = (1/N) sum_k R_k^T R_k with R_k = [h_p e_k]_p. Gradient-type quantities (C,
// Covar, EF, F, GGN) of a single dense layer factorize under any downstream network. Both
// routes agree to rounding wherever both apply (tests: rel. error <= 1e-8 required, about
// 1e-16 observed; gonum diff/fd.Hessian agrees to about 1e-6 with step 1e-4).
//
// # Numerical facts (docs/science.md)
//
// Confident cross-entropy samples have 1 - p_y far below 1e-12; nn's losses compute 1 - p_c as
// the sum of the other probabilities, and this package never forms p_y - p_y^2 itself.
// Softmax+MSE gives indefinite Q_p, so h_p and even H can have negative eigenvalues: spectra
// are sorted by algebraic value, and the bound [E h^2]_ii <= kappa_max H_ii holds only for PSD
// h_p (cross-entropy). H_ii^2 <= [E h^2]_ii holds always (Cauchy-Schwarz / Jensen). Eigenvectors
// of (near-)degenerate eigenvalues are not unique: compare them statistically.
//
// # Cost and memory
//
// The paper's MNIST cell (N = 20000, D = 2500, 50 x 50 layer): the factors are N x (Din+Dout+
// Classes Dout + Classes^2) floats (about 100 MB); each dense matrix is 50 MB; each Kronecker
// sum is 2 N 1275^2 = 65 GFLOP. Every allocation of D x D or N x D size is checked first against
// Problem.Budget (default 8 GiB), and a refusal wraps ErrBudget with the estimate in GiB, the
// budget, and the cheaper alternative (DiagonalsIn, or TopEigen on an Operator).
package curv
