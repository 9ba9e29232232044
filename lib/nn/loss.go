package nn

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Loss is a per-sample loss l_p(z_p, y_p) of the logits z_p (one row per sample) and an
// integer label.
type Loss interface {
	// Name is "ce", "mse" (softmax followed by MSE, the paper's MSE) or "logit-mse".
	Name() string
	// Eval returns the per-sample losses l_p and G with rows dl_p/dz_p (NOT divided by n).
	// It panics if len(labels) differs from the number of rows or a label is out of range.
	Eval(logits *mat.Dense, labels []int) (loss []float64, grad *mat.Dense)
	// LogitHessian writes Q = d^2 l / dz^2 for one sample (C x C row-major) into q, which
	// must have length at least C*C.
	LogitHessian(logits []float64, label int, q []float64)
}

// Loss names accepted by LossByName.
const (
	LossCE       = "ce"
	LossMSE      = "mse"
	LossLogitMSE = "logit-mse"
)

// LossByName returns the loss called name: "ce", "mse" or "logit-mse".
func LossByName(name string) (Loss, error) {
	switch name {
	case LossCE:
		return CrossEntropy{}, nil
	case LossMSE:
		return SoftmaxMSE{}, nil
	case LossLogitMSE:
		return LogitMSE{}, nil
	}
	return nil, fmt.Errorf("nn: unknown loss %q (valid: %q, %q, %q)", name, LossCE, LossMSE, LossLogitMSE)
}

// softmax computes p = softmax(z) and om[c] = 1 - p_c, the latter as the sum of the other
// probabilities so that it keeps full relative accuracy when p_c is close to 1. It returns
// log sum_c exp(z_c) = m + lse1p with m = z_k = max z and lse1p = log1p(sum_{c != k}
// exp(z_c - m)), kept apart so that -log p_y = (m - z_y) + lse1p stays accurate when it is
// tiny. om may be nil.
func softmax(z, p, om []float64) (m, lse1p float64) {
	k := 0
	for c, v := range z {
		if v > z[k] {
			k = c
		}
	}
	m = z[k]
	var rest float64
	for c, v := range z {
		if c != k {
			rest += math.Exp(v - m)
		}
	}
	lse1p = math.Log1p(rest)
	logZ := m + lse1p
	for c, v := range z {
		p[c] = math.Exp(v - logZ)
	}
	if om != nil {
		for c := range z {
			var s float64
			for d, pd := range p {
				if d != c {
					s += pd
				}
			}
			om[c] = s
		}
	}
	return m, lse1p
}

// Softmax writes softmax(z) into dst (allocated if nil) using the max-shifted, log-sum-exp
// form, and returns dst.
func Softmax(dst, z []float64) []float64 {
	if dst == nil {
		dst = make([]float64, len(z))
	}
	if len(dst) != len(z) {
		panic(fmt.Sprintf("nn: Softmax: dst has length %d, want %d", len(dst), len(z)))
	}
	softmax(z, dst, nil)
	return dst
}

func checkLabels(name string, logits *mat.Dense, labels []int) (n, c int) {
	n, c = logits.Dims()
	if len(labels) != n {
		panic(fmt.Sprintf("nn: %s loss: %d labels for %d rows of logits", name, len(labels), n))
	}
	for i, y := range labels {
		if y < 0 || y >= c {
			panic(fmt.Sprintf("nn: %s loss: label %d of sample %d out of range [0,%d)", name, y, i, c))
		}
	}
	return n, c
}

func checkHessianArgs(name string, z []float64, label int, q []float64) int {
	c := len(z)
	if label < 0 || label >= c {
		panic(fmt.Sprintf("nn: %s LogitHessian: label %d out of range [0,%d)", name, label, c))
	}
	if len(q) < c*c {
		panic(fmt.Sprintf("nn: %s LogitHessian: q has length %d, want %d", name, len(q), c*c))
	}
	return c
}

// CrossEntropy is l = -log softmax(z)_y = logsumexp(z) - z_y, with gradient p - e_y and
// Hessian Q = diag(p) - p p^T. The entries 1 - p_c (gradient at c = y, diagonal of Q) are
// computed as sums of the other probabilities.
type CrossEntropy struct{}

func (CrossEntropy) Name() string { return LossCE }

func (CrossEntropy) Eval(logits *mat.Dense, labels []int) ([]float64, *mat.Dense) {
	n, c := checkLabels(LossCE, logits, labels)
	loss := make([]float64, n)
	grad := mat.NewDense(n, c, nil)
	for i := 0; i < n; i++ {
		z, g, y := row(logits, i), row(grad, i), labels[i]
		m, lse1p := softmax(z, g, nil) // g holds p
		loss[i] = (m - z[y]) + lse1p
		var rest float64
		for d, pd := range g {
			if d != y {
				rest += pd
			}
		}
		g[y] = -rest // p_y - 1 = -(sum of the other probabilities)
	}
	return loss, grad
}

func (CrossEntropy) LogitHessian(z []float64, label int, q []float64) {
	c := checkHessianArgs(LossCE, z, label, q)
	p := make([]float64, c)
	om := make([]float64, c)
	softmax(z, p, om)
	for a := 0; a < c; a++ {
		for b := 0; b < c; b++ {
			if a == b {
				q[a*c+b] = p[a] * om[a]
			} else {
				q[a*c+b] = -p[a] * p[b]
			}
		}
	}
}

// SoftmaxMSE is the paper's "MSE": l = (1/C) sum_c (p_c - y_c)^2 with p = softmax(z), y the
// one-hot label and C the number of logits. With r = p - y, J = dp/dz = diag(p) - p p^T and
// u = J r / p (u_k = r_k - p.r):
//
//	dl/dz = (2/C) J r = (2/C) p .* u
//	Q     = (2/C) [ J J + diag(p.*u) - (p.*u) p^T - p (p.*u)^T ]
//
// The first term is the PSD Gauss-Newton part; the second, sum_c (dl/dp_c) hess p_c, is
// indefinite, so Q is indefinite in general.
type SoftmaxMSE struct{}

func (SoftmaxMSE) Name() string { return LossMSE }

// mseParts fills p, om = 1-p, r = p - onehot and u_k = r_k - p.r for one sample, each formed
// so that confident samples keep relative accuracy: r_y = -(1 - p_y) and
// u_k = r_k (1 - p_k) - sum_{c != k} p_c r_c.
func mseParts(z []float64, y int, p, om, r, u []float64) {
	softmax(z, p, om)
	copy(r, p)
	r[y] = -om[y]
	for k := range z {
		var s float64
		for c := range z {
			if c != k {
				s += p[c] * r[c]
			}
		}
		u[k] = r[k]*om[k] - s
	}
}

func (SoftmaxMSE) Eval(logits *mat.Dense, labels []int) ([]float64, *mat.Dense) {
	n, c := checkLabels(LossMSE, logits, labels)
	loss := make([]float64, n)
	grad := mat.NewDense(n, c, nil)
	p, om, r, u := make([]float64, c), make([]float64, c), make([]float64, c), make([]float64, c)
	scale := 2 / float64(c)
	for i := 0; i < n; i++ {
		mseParts(row(logits, i), labels[i], p, om, r, u)
		var l float64
		for _, v := range r {
			l += v * v
		}
		loss[i] = l / float64(c)
		g := row(grad, i)
		for k := range g {
			g[k] = scale * p[k] * u[k]
		}
	}
	return loss, grad
}

func (SoftmaxMSE) LogitHessian(z []float64, label int, q []float64) {
	c := checkHessianArgs(LossMSE, z, label, q)
	p, om, r, u := make([]float64, c), make([]float64, c), make([]float64, c), make([]float64, c)
	mseParts(z, label, p, om, r, u)
	// J = diag(p .* om) - offdiag(p p^T).
	jac := func(a, b int) float64 {
		if a == b {
			return p[a] * om[a]
		}
		return -p[a] * p[b]
	}
	scale := 2 / float64(c)
	for a := 0; a < c; a++ {
		for b := a; b < c; b++ {
			var jj float64
			for k := 0; k < c; k++ {
				jj += jac(a, k) * jac(k, b)
			}
			v := jj - p[a]*u[a]*p[b] - p[a]*p[b]*u[b]
			if a == b {
				v += p[a] * u[a]
			}
			q[a*c+b] = scale * v
			q[b*c+a] = scale * v
		}
	}
}

// LogitMSE is l = (1/C) sum_c (z_c - y_c)^2 on the raw logits: gradient (2/C)(z - y),
// Hessian (2/C) I.
type LogitMSE struct{}

func (LogitMSE) Name() string { return LossLogitMSE }

func (LogitMSE) Eval(logits *mat.Dense, labels []int) ([]float64, *mat.Dense) {
	n, c := checkLabels(LossLogitMSE, logits, labels)
	loss := make([]float64, n)
	grad := mat.NewDense(n, c, nil)
	scale := 2 / float64(c)
	for i := 0; i < n; i++ {
		z, g := row(logits, i), row(grad, i)
		var l float64
		for k, v := range z {
			if k == labels[i] {
				v--
			}
			l += v * v
			g[k] = scale * v
		}
		loss[i] = l / float64(c)
	}
	return loss, grad
}

func (LogitMSE) LogitHessian(z []float64, label int, q []float64) {
	c := checkHessianArgs(LossLogitMSE, z, label, q)
	clear(q[:c*c])
	for a := 0; a < c; a++ {
		q[a*c+a] = 2 / float64(c)
	}
}
