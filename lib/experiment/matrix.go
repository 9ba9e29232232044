package experiment

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// Matrix names one of the six D×D matrices an analysis reads in H's eigenbasis. Its value
// is the name stored in Layer.Coord and in the fit keys ("C" of "C/v1").
type Matrix string

// The six matrices (science.md): the Hessian H, the SGD noise covariance C of Eq. 2, the
// minibatch-gradient covariance Covar, E_p[h_p²] (the AWD proxy), the true Fisher F and the
// empirical Fisher EF.
const (
	MatH     Matrix = "H"
	MatC     Matrix = "C"
	MatCovar Matrix = "Covar"
	MatEh2   Matrix = "Eh2"
	MatF     Matrix = "F"
	MatEF    Matrix = "EF"
)

// Matrices lists the six matrices in display order.
var Matrices = []Matrix{MatH, MatC, MatCovar, MatEh2, MatF, MatEF}

// NoiseMatrices lists the matrices whose diagonals are fitted against H_ii, in display order.
var NoiseMatrices = []Matrix{MatC, MatCovar, MatEh2, MatF, MatEF}

// Rules lists the two window rules every noise matrix is fitted with.
var Rules = []fit.Rule{fit.RuleV1, fit.RuleV2}

// ParseMatrix returns the matrix called s, or an error naming the accepted names.
func ParseMatrix(s string) (Matrix, error) {
	for _, m := range Matrices {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("experiment: unknown matrix %q (want H, C, Covar, Eh2, F or EF)", s)
}

// V1 is the fit key of m with the v1 (top-N') window.
func (m Matrix) V1() FitKey { return FitKey{Matrix: m, Rule: fit.RuleV1} }

// V2 is the fit key of m with the v2 (layer-wise) window.
func (m Matrix) V2() FitKey { return FitKey{Matrix: m, Rule: fit.RuleV2} }

// FitKey names one power-law fit of a layer: log10 of Matrix's diagonal on log10 H_ii with
// window Rule. γ_emp is MatC (or MatCovar), γ_AWD is MatEh2.
type FitKey struct {
	Matrix Matrix
	Rule   fit.Rule
}

// String is the stored form of the key, "C/v1"; Layer.Fits and Layer.FitErrors are keyed by it.
func (k FitKey) String() string { return string(k.Matrix) + "/" + string(k.Rule) }

// ParseFitKey parses the stored form "C/v1".
func ParseFitKey(s string) (FitKey, error) {
	name, rule, ok := strings.Cut(s, "/")
	if !ok {
		return FitKey{}, fmt.Errorf("experiment: fit key %q: want MATRIX/RULE such as C/v1", s)
	}
	m, err := ParseMatrix(name)
	if err != nil {
		return FitKey{}, fmt.Errorf("experiment: fit key %q: %w", s, err)
	}
	switch r := fit.Rule(rule); r {
	case fit.RuleV1, fit.RuleV2:
		return FitKey{Matrix: m, Rule: r}, nil
	}
	return FitKey{}, fmt.Errorf("experiment: fit key %q: unknown rule %q (want v1 or v2)", s, rule)
}

// FitKeys lists the fit keys in display order: every noise matrix with rules v1 and v2.
func FitKeys() []FitKey {
	ks := make([]FitKey, 0, len(NoiseMatrices)*len(Rules))
	for _, m := range NoiseMatrices {
		for _, r := range Rules {
			ks = append(ks, FitKey{Matrix: m, Rule: r})
		}
	}
	return ks
}

// Diagonal returns the layer's diagonal of m in H's eigenbasis (H_ii for MatH), nil when
// the layer lacks it.
func (l *Layer) Diagonal(m Matrix) []float64 {
	switch m {
	case MatH:
		return l.H
	case MatC:
		return l.C
	case MatCovar:
		return l.Covar
	case MatEh2:
		return l.Eh2
	case MatF:
		return l.F
	case MatEF:
		return l.EF
	}
	return nil
}

// setDiagonal stores v as the layer's diagonal of m.
func (l *Layer) setDiagonal(m Matrix, v []float64) {
	switch m {
	case MatH:
		l.H = v
	case MatC:
		l.C = v
	case MatCovar:
		l.Covar = v
	case MatEh2:
		l.Eh2 = v
	case MatF:
		l.F = v
	case MatEF:
		l.EF = v
	}
}

// CoordDiagonal returns the diagonal of m in the parameter (coordinate) basis, nil when
// not stored.
func (l *Layer) CoordDiagonal(m Matrix) []float64 { return l.Coord[string(m)] }

// Fit returns fit k and whether it was made.
func (l *Layer) Fit(k FitKey) (fit.Result, bool) {
	r, ok := l.Fits[k.String()]
	return r, ok
}

// FitError returns why fit k could not be made ("" when it was, or was not attempted).
func (l *Layer) FitError(k FitKey) string { return l.FitErrors[k.String()] }

// Gamma returns the slope of fit k, or NaN when that fit failed.
func (l *Layer) Gamma(k FitKey) float64 {
	if r, ok := l.Fit(k); ok {
		return r.Slope
	}
	return math.NaN()
}

// LossFunc returns the loss of the config as a value (Config.Loss is its name).
func (c Config) LossFunc() (nn.Loss, error) {
	l, err := nn.LossByName(c.Loss)
	if err != nil {
		return nil, fmt.Errorf("experiment: config field loss: %w", err)
	}
	return l, nil
}

// DenseMatrices names the dense matrices of an analysis (those present; nil d gives none).
func DenseMatrices(d *curv.DenseMatrices) map[Matrix]*mat.SymDense {
	out := map[Matrix]*mat.SymDense{}
	if d == nil {
		return out
	}
	for m, a := range map[Matrix]*mat.SymDense{MatH: d.H, MatC: d.NoiseCov, MatCovar: d.MinibatchCov,
		MatEh2: d.HessianSquare, MatF: d.TrueFisher, MatEF: d.EmpiricalFisher} {
		if a != nil {
			out[m] = a
		}
	}
	return out
}

// AnalysisLayer is the Layer of analysis a of target, with its stage timings; no fits,
// commutation or bounds yet (FitLayer adds the fits).
func AnalysisLayer(target string, a *curv.Analysis) *Layer {
	l := &Layer{
		Target: target, D: a.D, Route: a.Route, Eigenvalues: a.Eigenvalues,
		H: a.H, C: a.C, Covar: a.Covar, Eh2: a.Eh2, F: a.F, EF: a.EF,
		KappaMax: a.KappaMax, MeanLoss: a.MeanLoss, GNorm: a.GradNorm,
		Fits: map[string]fit.Result{}, FitErrors: map[string]string{}, Timings: map[string]float64{},
	}
	for _, s := range a.Timings {
		l.Timings[s.Name] = s.Elapsed.Seconds()
	}
	return l
}

// DiagonalsLayer is the Layer of target from H's eigenvalues vals (descending; H_ii = λ_i)
// and diagonals dg in the eigenbasis (curv.HVPDiagonals or curv.DiagonalsIn); κ_max is
// unknown (NaN), no fits yet.
func DiagonalsLayer(target string, vals []float64, dg *curv.Diagonals) *Layer {
	return &Layer{
		Target: target, D: len(vals), Route: "diagonals", Eigenvalues: vals,
		H: append([]float64(nil), vals...), C: dg.NoiseCov, Covar: dg.MinibatchCov, Eh2: dg.HessianSquare,
		F: dg.TrueFisher, EF: dg.EmpiricalFisher, KappaMax: math.NaN(),
		Fits: map[string]fit.Result{}, FitErrors: map[string]string{}, Timings: map[string]float64{},
	}
}

// TopKLayer analyses the top-k eigenpairs of the problem's Hessian on any block (joint
// blocks, smooth activations): Lanczos on the exact Hessian operator, then C, Covar, EF and
// E_p[h_p²] in that basis without any D×D matrix (curv.Analyze with TopK and NoFisher), and
// the fits (rule v1 over all k points, and v2). It returns the eigenvectors (D×k) too.
func TopKLayer(p *curv.Problem, k, batch int, seed uint64) (*Layer, *mat.Dense, error) {
	d, err := p.Dim()
	if err != nil {
		return nil, nil, err
	}
	k = min(k, d)
	a, err := curv.Analyze(p, curv.AnalysisOptions{Batch: batch, Seed: seed, TopK: k, NoFisher: true,
		KeepVectors: true, Lanczos: curv.LanczosOptions{Seed: seed}})
	if err != nil {
		return nil, nil, err
	}
	l := AnalysisLayer(strings.Join(p.Block.Layers, "+"), a)
	FitLayer(l, k, seed)
	return l, a.Eigenvectors, nil
}

// NonPositive counts the directions whose H_ii is not positive (zero, negative or NaN):
// softmax+MSE's indefinite Hessian has some, and the log-log fits drop them.
func (l *Layer) NonPositive() int {
	n := 0
	for _, h := range l.H {
		if !(h > 0) {
			n++
		}
	}
	return n
}
