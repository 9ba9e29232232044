package explore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/noisecurv/noisecurv/lib/claims"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/nn"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// The joint Hessian of two adjacent layers of the v2 model (claims.LayerWise): is the
// layer-wise power law a property of each block alone, or does it survive when the blocks
// are analysed together, with the cross-layer curvature they share?

// LayerWiseJointPerClass and LayerWiseJointTopK size the joint-block exploration: the joint
// Hessian of two adjacent layers (D = 2 · 32² = 2048 on the fast preset) is not Kronecker
// factorized, so it goes through exact Hessian-vector products: Lanczos for its top-K
// eigenpairs and one per-sample HVP pass per direction for [E_p h_p²]_ii, on a balanced
// subset of LayerWiseJointPerClass samples per class.
var (
	LayerWiseJointPerClass = 100
	LayerWiseJointTopK     = 100
)

// Joint is the joint-block exploration of the v2 model: the joint Hessian of its first two
// target layers, and each layer alone, on the same sample subset.
func Joint(ctx context.Context, o claims.Options) (*claims.Report, error) {
	c := claims.LayerWiseConfig(o, firstSeed(o))
	rep := &claims.Report{
		ID: "ext-joint", Title: "Joint Hessian of two adjacent layers (v2 model)", Notebook: "08_layerwise.ipynb", Preset: o.PresetName(),
		Verdict: claims.Informational,
		Statement: "The v2 claim fits one power law per weight matrix, in the eigenbasis of that matrix's own Hessian. Here the first two target layers " +
			"of the v2 model are analysed together: the top eigenpairs of their joint Hessian (not Kronecker factorized, so by Lanczos on exact " +
			"Hessian-vector products) and C_ii, [E_p h_p²]_ii in that basis, beside each layer alone on the same samples.",
	}
	if len(c.Targets) < 2 {
		return nil, fmt.Errorf("explore: joint block: the v2 model has %d target layers, want 2 or more", len(c.Targets))
	}
	jb, err := LayerWiseJoint(ctx, o, firstSeed(o), c.Targets[:2], LayerWiseJointPerClass, LayerWiseJointTopK)
	if err != nil {
		return nil, fmt.Errorf("explore: joint block: %w", err)
	}
	for _, b := range append([]*JointBlock{jb}, jb.Singles...) {
		rep.Rows = append(rep.Rows, claims.Row{
			Quantity: "joint exploration: " + b.Name + ": γ_emp / γ_AWD (top-K, v1)",
			Measured: fmt.Sprintf("%s / %s", fmtFitG(b.Layer.Fits[experiment.MatC.V1().String()]), fmtFitG(b.Layer.Fits[experiment.MatEh2.V1().String()])),
			Paper:    "not in the paper",
			Note:     fmt.Sprintf("D %d, top %d eigenpairs by Lanczos, N %d samples (%d per class), %.1f s", b.Layer.D, len(b.Layer.H), b.N, b.PerClass, b.Seconds),
		})
	}
	rep.Rows = append(rep.Rows, claims.Row{Quantity: "joint exploration: top-K eigenvectors of the joint H with > 90% of their mass in one layer",
		Measured: fmt.Sprintf("%d of %d", jb.Localized(0.9), len(jb.Share)), Paper: "not in the paper",
		Note: fmt.Sprintf("mean share of the top-10 in %s: %.3f", jb.Layers[0], fit.Mean(jb.Share[:min(10, len(jb.Share))]))})
	jf, err := JointFigure(jb)
	if err != nil {
		return nil, err
	}
	sf, err := JointShareFigure(jb)
	if err != nil {
		return nil, err
	}
	rep.Figures = append(rep.Figures, jf, sf)
	rep.Why = fmt.Sprintf("%d of the top %d eigenvectors of the joint Hessian keep more than 90%% of their mass in one layer.", jb.Localized(0.9), len(jb.Share))
	return rep, nil
}

func fmtFitG(f fit.Result) string {
	if f.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f (R² %.2f)", f.Slope, f.R2)
}

// JointBlock is the analysis of a block of one or more layers in the top-K eigenbasis of its
// Hessian, computed by exact Hessian-vector products on a sample subset.
type JointBlock struct {
	Name     string
	Layers   []string
	N        int
	PerClass int
	// Layer holds the top-K eigenvalues and the diagonals H, C, Covar, Eh2, EF in that basis,
	// with the fits (rule v1 over all K points, and v2) in Layer.Fits.
	Layer *experiment.Layer
	// Share[i] is the fraction of |v_i|² on the first layer's coordinates (joint blocks only).
	Share []float64
	// Singles are the same analysis for each layer alone on the same samples.
	Singles []*JointBlock
	Seconds float64
}

// Localized counts the eigenvectors with more than frac of their mass in one layer.
func (j *JointBlock) Localized(frac float64) int {
	n := 0
	for _, s := range j.Share {
		if s > frac || s < 1-frac {
			n++
		}
	}
	return n
}

// LayerWiseJoint analyses the joint Hessian of the given adjacent layers of the v2 model (seed
// seed) on a balanced subset of perClass samples per class: top-k eigenpairs of the joint H by
// Lanczos on the exact HVP operator, C, Covar, EF and [E_p h_p²] in that basis
// (experiment.TopKLayer), the fits, and the same for each layer alone on the same samples.
func LayerWiseJoint(ctx context.Context, o claims.Options, seed uint64, layers []string, perClass, k int) (*JointBlock, error) {
	h, err := experiment.Open(claims.LayerWiseConfig(o, seed), o.Run)
	if err != nil {
		return nil, err
	}
	tag := fmt.Sprintf("joint-%s-n%d-k%d-v1", strings.Join(layers, "+"), perClass, k)
	return experiment.Derived(h, tag, func() (*JointBlock, error) { return layerWiseJoint(ctx, h, seed, layers, perClass, k) })
}

func layerWiseJoint(ctx context.Context, h *experiment.Handle, seed uint64, layers []string, perClass, k int) (*JointBlock, error) {
	sub, err := h.Subset(perClass, seed+1)
	if err != nil {
		return nil, err
	}
	one := func(ls []string) (*JointBlock, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := time.Now()
		p, err := h.ProblemOn(ctx, sub, experiment.FinalEpoch, ls...)
		if err != nil {
			return nil, err
		}
		l, vecs, err := experiment.TopKLayer(p, k, h.Config.Batch, seed)
		if err != nil {
			return nil, err
		}
		jb := &JointBlock{Name: strings.Join(ls, "+"), Layers: ls, N: sub.Len(), PerClass: perClass, Layer: l}
		if len(ls) > 1 {
			d0, err := p.Model.BlockSize(nn.Block{Layers: ls[:1]})
			if err != nil {
				return nil, err
			}
			jb.Share = curv.BlockShare(vecs, d0)
		}
		jb.Seconds = time.Since(start).Seconds()
		h.Emit("joint", 1, 1, jb.Name)
		return jb, nil
	}
	jb, err := one(layers)
	if err != nil {
		return nil, err
	}
	for _, name := range layers {
		s, err := one([]string{name})
		if err != nil {
			return nil, err
		}
		jb.Singles = append(jb.Singles, s)
	}
	return jb, nil
}

// JointFigure draws, for the joint block, the share of each top eigenvector's mass on the
// first layer against its rank, and the C_ii vs H_ii panel of the joint block and of each
// layer alone (top-K, same samples).
func JointFigure(jb *JointBlock) (*viz.Figure, error) {
	ls := []*experiment.Layer{jb.Layer}
	names := []string{"joint " + jb.Name}
	for _, s := range jb.Singles {
		ls = append(ls, s.Layer)
		names = append(names, s.Name+" alone")
	}
	return claims.LayerPanel(fmt.Sprintf("v2 exploration: joint Hessian of %s vs each layer alone (top %d eigenpairs, N = %d; offset 2 decades)",
		jb.Name, len(jb.Layer.H), jb.N), "C_ii (offset)", experiment.MatC.V1(), ls, names, len(jb.Layer.H), 2)
}

// JointShareFigure draws the share of each top eigenvector of the joint Hessian on the first
// layer of the block, against the eigenvalue rank.
func JointShareFigure(jb *JointBlock) (*viz.Figure, error) {
	x := make([]float64, len(jb.Share))
	for i := range x {
		x[i] = float64(i + 1)
	}
	return viz.Lines(viz.LineSpec{Title: fmt.Sprintf("Joint Hessian of %s: share of eigenvector mass on %s", jb.Name, jb.Layers[0]),
		XName: "rank i of λ_i (joint H)", YName: "|v_i on " + jb.Layers[0] + "|²", LogX: true,
		Series: []viz.XYSeries{{Name: "share on " + jb.Layers[0], X: x, Y: jb.Share}},
		Refs:   []viz.RefLine{{Y: 0.5, Label: "even split"}}, Symbols: true})
}
