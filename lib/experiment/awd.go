package experiment

import (
	"context"
	"fmt"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/awd"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/fit"
)

// AWDEpoch is the Activity–Weight Duality analysis of one checkpoint of a run (AWDAt), in a
// basis of H's eigenvectors, in a form the derived cache stores.
type AWDEpoch struct {
	Epoch int
	Full  bool // the basis is the full eigenbasis
	// Diagonals in the basis (sorted by H_ii descending): H_ii, C_ii (Eq. 2), and lib/awd's
	// terms (normalized by the SGD batch B, so they compare with C in magnitude).
	H, C                                     []float64
	Eh2, Iso, HH, HG, GG, Total              []float64
	HHSD, HGSD, GGSD, TotalSD, HHSDWD, Exact []float64
	Norms                                    awd.Norms
	NormC                                    float64 // |C|_F (Eq. 2)
	SigmaW2, SigmaW2Eff, MeanDist, MeanANorm float64
	N, Unmatched, ZeroActivity               int
	Fits                                     map[string]fit.Result // lib/awd's fits, "Y~X"
	Seconds                                  float64
}

// AWDAt analyses the problem p of checkpoint epoch of the run with config c in the basis
// (lam, V) of H's eigenpairs: C of Eq. 2 with the run's batch, and lib/awd's exact
// decomposition (partners matched with match, noise batch c.Batch, fits over the top
// min(N', k) directions) with its diagonals, norms and fits.
func AWDAt(p *curv.Problem, c Config, epoch int, lam []float64, V *mat.Dense, match awd.MatchOptions) (*AWDEpoch, error) {
	start := time.Now()
	C, err := curv.NoiseCov(p, c.Batch)
	if err != nil {
		return nil, err
	}
	d, k := V.Dims()
	r, err := awd.Analyze(p, awd.Options{
		Match:      match,
		NoiseBatch: c.Batch,
		Basis:      V, Lambda: lam,
		Exact: true,
		Fit:   fit.Options{TopN: min(c.NPrime, k)},
	})
	if err != nil {
		return nil, err
	}
	ep := &AWDEpoch{
		Epoch: epoch, Full: k == d, H: lam, C: curv.Diag(C, V), NormC: mat.Norm(C, 2),
		Eh2: r.Diag.Eh2, Iso: r.Diag.Iso, HH: r.Diag.HH, HG: r.Diag.HG, GG: r.Diag.GG, Total: r.Diag.Total,
		HHSD: r.Diag.HHSD, HGSD: r.Diag.HGSD, GGSD: r.Diag.GGSD, TotalSD: r.Diag.TotalSD, HHSDWD: r.Diag.HHSDWD,
		Exact: r.Diag.Exact, Norms: r.Norms, SigmaW2: r.SigmaW2, SigmaW2Eff: r.SigmaW2Eff,
		MeanDist: r.MeanDist, MeanANorm: r.MeanANorm, N: r.N, Unmatched: r.Unmatched, ZeroActivity: r.ZeroActivity,
		Fits: map[string]fit.Result{},
	}
	for _, f := range r.Fits {
		if f.Err == "" {
			f.Res.Used = nil
			ep.Fits[f.Name] = f.Res
		}
	}
	ep.Seconds = time.Since(start).Seconds()
	return ep, nil
}

// AWDSeries runs AWDAt at every analysed epoch of the run, in ascending order: in the basis
// of H's top topK eigenpairs (Lanczos, curv.EigenBasis) at the checkpoints and in the full
// eigenbasis at the end of training. Random is the control at the end of training: the same
// expansion around random same-class partners instead of the matched ones. Progress goes to
// stage "awd".
func (h *Handle) AWDSeries(ctx context.Context, topK int) (epochs []AWDEpoch, random *AWDEpoch, err error) {
	c := h.Config
	es, err := h.Epochs(ctx)
	if err != nil {
		return nil, nil, err
	}
	for i, e := range es {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		h.Emit("awd", i, len(es), fmt.Sprintf("epoch %d", e))
		p, err := h.Problem(ctx, e)
		if err != nil {
			return nil, nil, err
		}
		final := i == len(es)-1
		k := topK
		if final {
			k = 0 // the full eigenbasis
		}
		lam, V, err := curv.EigenBasis(p, k, c.Seed)
		if err != nil {
			return nil, nil, fmt.Errorf("experiment: %s: AWD at epoch %d: %w", c.Name(), e, err)
		}
		ep, err := AWDAt(p, c, e, lam, V, awd.MatchOptions{Seed: c.Seed})
		if err != nil {
			return nil, nil, fmt.Errorf("experiment: %s: AWD at epoch %d: %w", c.Name(), e, err)
		}
		epochs = append(epochs, *ep)
		if final {
			h.Emit("awd", i, len(es), "random partners")
			if random, err = AWDAt(p, c, e, lam, V, awd.MatchOptions{Seed: c.Seed, Random: true}); err != nil {
				return nil, nil, fmt.Errorf("experiment: %s: AWD, random partners: %w", c.Name(), err)
			}
		}
	}
	h.Emit("awd", len(es), len(es), "done")
	return epochs, random, nil
}
