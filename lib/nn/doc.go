// Package nn is a small, exact, float64 neural-network library (with float32 training) for
// measuring SGD noise and curvature (arXiv 2602.05600): sequential networks of Dense,
// Conv2D (3x3, padding 1), MaxPool2, global AvgPool, Flatten, ReLU and Tanh layers;
// cross-entropy, softmax+MSE and logit-MSE losses with exact logit Hessians; batched
// backpropagation; exact per-sample gradients and per-sample Hessian-vector products of a
// block of dense weights.
//
// # Notation
//
// Notation follows docs/science.md. A batch is a *mat.Dense with one row per sample p; images are
// flattened in (channel, row, col) order. For sample p, layer k maps its input a_p^k to its
// output a_p^{k+1}; the logits are z_p. A Dense layer computes z = W a (+ b) with W stored
// row-major Out x In (PyTorch layout). The per-sample loss is l_p(z_p, y_p) and
//
//	G_p = dl_p/dz_p (Loss.Eval),  Q_p = d^2 l_p/dz_p^2 (Loss.LogitHessian).
//
// Backpropagation gives delta_p^k = dl_p/d(output of layer k); Model.Backward returns these as
// dIn[k+1], and for a Dense layer the per-sample weight gradient is the outer product
//
//	g_p = delta_p (x) a_p,   g_p[i*In+j] = delta_{p,i} a_{p,j}   (bias part: delta_p).
//
// Layers accumulate SUMS over the batch into Param.Grad; dividing by the batch size is the
// caller's business.
//
// # Losses
//
// With p = softmax(z), C the number of logits and e_y the one-hot label:
//
//	ce:        l = -log p_y,               G = p - e_y,        Q = diag(p) - p p^T
//	mse:       l = (1/C) |p - e_y|^2,      G = (2/C) p .* u,
//	           Q = (2/C) [ J J + diag(p.*u) - (p.*u) p^T - p (p.*u)^T ]
//	logit-mse: l = (1/C) |z - e_y|^2,      G = (2/C)(z - e_y), Q = (2/C) I
//
// where J = dp/dz = diag(p) - p p^T, r = p - e_y and u_k = r_k - p.r. The mse Hessian is
// J J (Gauss-Newton, PSD) plus sum_c (dl/dp_c) hess p_c, which is indefinite, so Q is
// indefinite in general. After training with cross-entropy, 1 - p_y can be far below 1e-16;
// the code therefore never forms 1 - p_c by subtraction: it sums the other probabilities
// (G_y = -sum_{c != y} p_c, Q_cc = p_c sum_{d != c} p_d), evaluates -log p_y as
// (max z - z_y) + log1p(sum_{c != argmax} exp(z_c - max z)), and writes the mse residual
// and u so that they keep relative accuracy (u_k = r_k (1 - p_k) - sum_{c != k} p_c r_c).
//
// # Per-sample Hessian-vector products (R-operator)
//
// Model.PerSampleHVP computes h_p v, h_p = d^2 l_p / dtheta^2 on a Block of dense weights,
// exactly and for all samples in one batched pass, by forward-over-reverse differentiation
// (Pearlmutter 1994). R{.} = d/dt (.)(theta + t v)|_{t=0} is the directional derivative along
// v = (V_k, v_{b,k}) for the block layers. Applying R to the forward pass:
//
//	R{a^{k0}} = 0                              (k0 = first block layer; nothing upstream moves)
//	Dense:   R{z} = R{a} W^T + [a V^T + v_b]   (bracket only for block layers)
//	ReLU:    R{y} = 1[x > 0] R{x}
//	Tanh:    R{y} = (1 - y^2) R{x}
//	Conv2D, MaxPool2, AvgPool, Flatten with fixed parameters: the same linear map as the layer
//	         (without bias; max-pool routes R{x} through the argmax).
//
// At the logits R{G_p} = Q_p R{z_p}. Applying R to the backward pass dx = B(x) dy:
//
//	Dense:   R{dx} = R{dz} W + [dz V]
//	ReLU:    R{dx} = 1[x > 0] R{dy}            (R{relu'(x)} = 0 almost everywhere)
//	Tanh:    R{dx} = (1 - y^2) R{dy} - 2 y R{y} dy   (tanh'' = -2 y (1 - y^2))
//	piecewise-linear layers (conv, pools, flatten): R{dx} = Backward(R{dy}).
//
// Finally, differentiating g_p = delta_p (x) a_p,
//
//	h_p v = R{g_p} = R{delta_p} (x) a_p + delta_p (x) R{a_p}   (bias part R{delta_p}).
//
// The cost is about two forward and two backward passes from the first block layer on. For a
// single dense layer in a piecewise-linear network R{a_p} = 0 at that layer and the result
// reduces to the Kronecker form h_p = M_p (x) a_p a_p^T of docs/science.md; for tanh networks and
// multi-layer blocks the residual terms are included exactly.
//
// # Initialization and determinism
//
// Build draws, layer by layer, the weight and then the bias from U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)), fan_in = In or InC*9: PyTorch's default Kaiming-uniform with a = sqrt(5).
// The stream is math/rand/v2 PCG seeded with (seed, seed^0x9E3779B97F4A7C15), so a seed fixes
// the model bit for bit.
//
// # Performance and concurrency
//
// The large products go through gonum's blas64.Gemm: Dense forward X W^T, backward dY W and
// dY^T X; Conv2D by im2col over chunks of samples. Model.BackwardParams skips input gradients
// nobody needs (a third of the first layer's work) and is what training should call. Layers
// keep scratch buffers and Model keeps the last activations, so a Model must not be used from
// several goroutines at once; Clone it instead.
//
// # Float32 training
//
// Train with TrainConfig.Precision "float32" (the paper's precision) runs the same SGD on a
// float32 copy of the model: weights and inputs are rounded to float32 once, forward and
// backward passes use float32 GEMM (gonum's blas32, which lib/linalg points at OpenBLAS's
// sgemm in the openblas build), and the weights are written back to the float64 Model
// exactly, so every analysis in this module runs in float64 on the float32-trained weights.
// The convolutional part keeps a batch channel-major (C x n x H*W), so that each 3x3
// convolution is one im2col and ONE GEMM over the whole batch whose output is already in
// that layout (no per-sample copies); ReLU and pooling are per element or per plane and
// allocate nothing per step. The loss and dl/dz (n x C values) are evaluated in float64
// from the float32 logits with the float64 Loss, then rounded. Its gradients agree with
// the float64 path to about 1e-7 relative on the same float32-rounded weights (tested).
//
// Im2col and col2im shift a tap's whole batch of planes at once (the shift is a constant
// offset in the planar layout: one copy or one saxpy, then the border pixels are cleared),
// ReLU runs in AVX where the CPU has AVX2, and the elementwise passes (bias, ReLU, pooling,
// col2im) are split among GOMAXPROCS goroutines by channel, plane or range, each output
// written by one goroutine in a fixed order.
//
// A minibatch whose forward pass is large enough (at least 200 M multiply-adds per chunk:
// the paper's CNN at every batch size, never the MLPs) is trained data-parallel: it is cut
// into a power of two of chunks (2 at B 32 and 50, 8 at B 128 for the MNIST CNN), each run
// forward and backward by its own engine on its own goroutine, and the chunks' parameter
// gradients are added in chunk order. The GEMMs of a chunk are single-threaded (lib/linalg's
// OpenBLAS adapter runs OpenBLAS on one thread while float32 training runs), so cores are
// shared out by chunk instead of inside each small GEMM, where OpenBLAS's idle threads spun.
//
// # Determinism
//
// The same seed, configuration, build and precision give bit-identical weights, for any
// GOMAXPROCS and OPENBLAS_NUM_THREADS (tested): the chunks depend on the model and the batch
// size only, every chunk's GEMMs run on one thread (the pure-Go GEMM splits C by whole
// column panels, which does not change any sum), and every reduction runs in a fixed order.
// The two builds differ from each other (OpenBLAS's sgemm kernels round differently from
// the pure-Go one), and so does a build before the chunked training (the gradient of a
// chunked batch is summed in another order): a chaotic training run then ends at weights,
// and exponents, that differ in the third digit. The cache keys a run by its configuration,
// so a cached run is reused whatever the thread count.
package nn
