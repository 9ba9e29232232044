package fit

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/enum"
)

// Spectra holds truncated per-sample Hessian spectra projected on the directions of
// interest (usually H's eigenvectors v_i, sorted by H_ii descending), in one flat layout:
//
//	Kappa[p*K + m]             = κ_pm, eigenvalue m of h_p (descending in m for each p)
//	W[(p*K + m)*Dirs + i]      = w_pmi = (u_pm · v_i)², its squared projection on v_i
//
// for samples p < N, modes m < K and directions i < Dirs. The directions of one (p, m) pair
// are contiguous, so the diagonals are sums of scaled contiguous rows (memory-bound axpy).
// N = 20000, K = 10, Dirs = 1000 takes 1.6 GB for W. When K is smaller than the rank of h_p
// the recomputed diagonals cover only the stored modes.
type Spectra struct {
	N, K, Dirs int
	Kappa      []float64
	W          []float64
}

// NewSpectra allocates zeroed spectra for n samples, k modes and dirs directions.
func NewSpectra(n, k, dirs int) (*Spectra, error) {
	if n <= 0 || k <= 0 || dirs <= 0 {
		return nil, fmt.Errorf("fit: NewSpectra: N=%d K=%d Dirs=%d, expected all > 0", n, k, dirs)
	}
	return &Spectra{N: n, K: k, Dirs: dirs, Kappa: make([]float64, n*k), W: make([]float64, n*k*dirs)}, nil
}

// Row returns the Dirs squared projections w_pm· of mode m of sample p (a view into W).
func (s *Spectra) Row(p, m int) []float64 {
	off := (p*s.K + m) * s.Dirs
	return s.W[off : off+s.Dirs : off+s.Dirs]
}

// Validate checks the shapes, that κ is finite and descending within each sample, and that
// every w is finite and non-negative.
func (s *Spectra) Validate() error {
	if s == nil {
		return fmt.Errorf("fit: Spectra is nil")
	}
	if s.N <= 0 || s.K <= 0 || s.Dirs <= 0 {
		return fmt.Errorf("fit: Spectra: N=%d K=%d Dirs=%d, expected all > 0", s.N, s.K, s.Dirs)
	}
	if len(s.Kappa) != s.N*s.K {
		return fmt.Errorf("fit: Spectra.Kappa has %d values, expected N*K = %d", len(s.Kappa), s.N*s.K)
	}
	if len(s.W) != s.N*s.K*s.Dirs {
		return fmt.Errorf("fit: Spectra.W has %d values, expected N*K*Dirs = %d", len(s.W), s.N*s.K*s.Dirs)
	}
	if err := checkFinite("Spectra.Kappa", s.Kappa); err != nil {
		return err
	}
	for p := 0; p < s.N; p++ {
		for m := 1; m < s.K; m++ {
			if s.Kappa[p*s.K+m] > s.Kappa[p*s.K+m-1] {
				return fmt.Errorf("fit: Spectra.Kappa of sample %d is not descending at mode %d (%g > %g)",
					p, m, s.Kappa[p*s.K+m], s.Kappa[p*s.K+m-1])
			}
		}
	}
	for j, w := range s.W {
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("fit: Spectra.W[%d] (sample %d, mode %d, direction %d) is %v, expected a finite value >= 0",
				j, j/(s.K*s.Dirs), (j/s.Dirs)%s.K, j%s.Dirs, w)
		}
	}
	return nil
}

func (s *Spectra) kappaOrOwn(kappa []float64) ([]float64, error) {
	if kappa == nil {
		return s.Kappa, nil
	}
	if len(kappa) != s.N*s.K {
		return nil, fmt.Errorf("fit: kappa has %d values, expected N*K = %d", len(kappa), s.N*s.K)
	}
	return kappa, nil
}

// Diagonals returns H_ii = (1/N) Σ_p Σ_m κ_pm w_pmi and [E h²]_ii = (1/N) Σ_p Σ_m κ_pm² w_pmi
// (claim C6) for the eigenvalues kappa (same layout as s.Kappa; nil means s.Kappa).
func (s *Spectra) Diagonals(kappa []float64) (h, eh2 []float64, err error) {
	kappa, err = s.kappaOrOwn(kappa)
	if err != nil {
		return nil, nil, err
	}
	h = make([]float64, s.Dirs)
	eh2 = make([]float64, s.Dirs)
	for pm, k := range kappa {
		if k == 0 {
			continue
		}
		k2 := k * k
		row := s.W[pm*s.Dirs : (pm+1)*s.Dirs]
		for i, w := range row {
			h[i] += k * w
			eh2[i] += k2 * w
		}
	}
	inv := 1 / float64(s.N)
	for i := range h {
		h[i] *= inv
		eh2[i] *= inv
	}
	return h, eh2, nil
}

// KappaMax returns max_{p,m} κ_pm of kappa (nil means s.Kappa), the κ_max of CheckBounds.
func (s *Spectra) KappaMax(kappa []float64) float64 {
	if kappa == nil {
		kappa = s.Kappa
	}
	m := math.Inf(-1)
	for _, k := range kappa {
		m = math.Max(m, k)
	}
	return m
}

// Edit names a spectrum edit of the suppression experiment (Fig. 5).
type Edit int

const (
	EditOriginal      Edit = iota // (1) κ unchanged
	EditCut                       // (2) κ_pm ← CutScale κ_pm for modes m beyond CutAfter
	EditStiffPreserve             // (3) (2), then soft samples' κ_p1 ← SoftScale κ_p1
	EditStiffCollapse             // (4) (3), then stiff samples' κ_p1 ← their mean κ_p1
	// EditStiffShuffle is the control of (3): (3), then the stiff samples' κ_p1 permuted
	// among the stiff samples (seeded by EditParams.Seed). It keeps their distribution and
	// breaks their pairing with the directions each sample's leading mode points along.
	EditStiffShuffle
)

// AllEdits lists the four edits of Fig. 5 in the paper's row order, then the shuffle control.
var AllEdits = []Edit{EditOriginal, EditCut, EditStiffPreserve, EditStiffCollapse, EditStiffShuffle}

var editNames = [...]string{
	EditOriginal:      "original",
	EditCut:           "cut@k=1",
	EditStiffPreserve: "cut@k=1+stiff-preserve",
	EditStiffCollapse: "cut@k=1+stiff-mean-collapse",
	EditStiffShuffle:  "cut@k=1+stiff-shuffle (control)",
}

func (e Edit) String() string { return enum.Name(e, editNames[:], "Edit") }

// EditParams are the constants of the edits; zero fields take the paper's values.
type EditParams struct {
	CutAfter  int     // modes kept unscaled by the cut; 0 means 1 (the paper's k = 1)
	CutScale  float64 // factor on the cut modes; 0 means 1e-5
	SoftRatio float64 // soft samples have κ_p1 <= SoftRatio · max_p κ_p1; 0 means 1e-3
	SoftScale float64 // factor on the soft samples' κ_p1; 0 means 1e-3
	Seed      uint64  // the permutation of EditStiffShuffle
}

func (e EditParams) withDefaults() EditParams {
	if e.CutAfter == 0 {
		e.CutAfter = 1
	}
	if e.CutScale == 0 {
		e.CutScale = 1e-5
	}
	if e.SoftRatio == 0 {
		e.SoftRatio = 1e-3
	}
	if e.SoftScale == 0 {
		e.SoftScale = 1e-3
	}
	return e
}

// EditInfo reports the stiff/soft split of an edit (zero for edits (1) and (2)).
type EditInfo struct {
	Threshold   float64 // τ = SoftRatio · max_p κ_p1
	Soft, Stiff int     // samples with κ_p1 <= τ and > τ
	StiffMean   float64 // mean κ_p1 over the stiff samples (edit (4))
}

// Edit returns a new eigenvalue array with edit e applied to s.Kappa (see the package
// documentation); s is not modified. The soft/stiff split uses the first stored mode κ_p1
// of each sample, which the cut never changes.
func (s *Spectra) Edit(e Edit, par EditParams) ([]float64, EditInfo, error) {
	par = par.withDefaults()
	if par.CutAfter < 0 {
		return nil, EditInfo{}, fmt.Errorf("fit: Edit: CutAfter=%d, expected >= 0", par.CutAfter)
	}
	kappa := append([]float64(nil), s.Kappa...)
	var info EditInfo
	if e == EditOriginal {
		return kappa, info, nil
	}
	if e < EditOriginal || e > EditStiffShuffle {
		return nil, info, fmt.Errorf("fit: Edit: unknown edit %d, expected 0..4", int(e))
	}
	for p := 0; p < s.N; p++ {
		for m := par.CutAfter; m < s.K; m++ {
			kappa[p*s.K+m] *= par.CutScale
		}
	}
	if e == EditCut {
		return kappa, info, nil
	}
	max1 := math.Inf(-1)
	for p := 0; p < s.N; p++ {
		max1 = math.Max(max1, kappa[p*s.K])
	}
	info.Threshold = par.SoftRatio * max1
	var sum float64
	for p := 0; p < s.N; p++ {
		if k := kappa[p*s.K]; k <= info.Threshold {
			info.Soft++
			kappa[p*s.K] = par.SoftScale * k
		} else {
			info.Stiff++
			sum += k
		}
	}
	if info.Stiff > 0 {
		info.StiffMean = sum / float64(info.Stiff)
	}
	var stiff []int // the soft samples were already scaled: test the original κ_p1
	for p := 0; p < s.N; p++ {
		if s.Kappa[p*s.K] > info.Threshold {
			stiff = append(stiff, p)
		}
	}
	switch e {
	case EditStiffCollapse:
		for _, p := range stiff {
			kappa[p*s.K] = info.StiffMean
		}
	case EditStiffShuffle:
		k1 := make([]float64, len(stiff))
		for j, p := range stiff {
			k1[j] = kappa[p*s.K]
		}
		rand.New(rand.NewPCG(par.Seed, 0x73687566666c6521)).Shuffle(len(k1), func(i, j int) { k1[i], k1[j] = k1[j], k1[i] })
		for j, p := range stiff {
			kappa[p*s.K] = k1[j]
		}
	}
	return kappa, info, nil
}

// GapMode selects how the gap metric averages over samples.
type GapMode int

const (
	// GapPooled: G_ik = Σ_p Σ_{m<k} e_pmi / Σ_p Σ_m e_pmi with e_pmi = κ_pm² w_pmi (share of
	// the sum over samples). NaN for a direction with zero total energy.
	GapPooled GapMode = iota
	// GapMeanOfRatios: G_ik = mean over samples with Σ_m e_pmi > 0 of
	// Σ_{m<k} e_pmi / Σ_m e_pmi (the authors' code). NaN if no sample has energy in i.
	GapMeanOfRatios
)

// Gap returns the gap metric as a Dirs × K matrix: entry (i, k−1) is the share of the noise
// energy of direction i captured by the first k stored modes (see GapMode), for eigenvalues
// kappa (nil means s.Kappa). The modes keep their stored order even when an edit reorders
// their magnitudes.
func (s *Spectra) Gap(kappa []float64, mode GapMode) (*mat.Dense, error) {
	kappa, err := s.kappaOrOwn(kappa)
	if err != nil {
		return nil, err
	}
	K, D := s.K, s.Dirs
	acc := make([]float64, K*D) // acc[m*D+i]
	out := mat.NewDense(D, K, nil)
	switch mode {
	case GapPooled:
		for p := 0; p < s.N; p++ {
			for m := 0; m < K; m++ {
				k2 := kappa[p*K+m] * kappa[p*K+m]
				if k2 == 0 {
					continue
				}
				a := acc[m*D : (m+1)*D]
				for i, w := range s.Row(p, m) {
					a[i] += k2 * w
				}
			}
		}
		for i := 0; i < D; i++ {
			var tot float64
			for m := 0; m < K; m++ {
				tot += acc[m*D+i]
			}
			var cum float64
			for m := 0; m < K; m++ {
				cum += acc[m*D+i]
				out.Set(i, m, cum/tot)
			}
		}
	case GapMeanOfRatios:
		tot := make([]float64, D)
		cum := make([]float64, D)
		count := make([]float64, D)
		for p := 0; p < s.N; p++ {
			clear(tot)
			clear(cum)
			for m := 0; m < K; m++ {
				k2 := kappa[p*K+m] * kappa[p*K+m]
				for i, w := range s.Row(p, m) {
					tot[i] += k2 * w
				}
			}
			for i, t := range tot {
				if t > 0 {
					count[i]++
				}
			}
			for m := 0; m < K; m++ {
				k2 := kappa[p*K+m] * kappa[p*K+m]
				a := acc[m*D : (m+1)*D]
				for i, w := range s.Row(p, m) {
					cum[i] += k2 * w
					if tot[i] > 0 {
						a[i] += cum[i] / tot[i]
					}
				}
			}
		}
		for i := 0; i < D; i++ {
			for m := 0; m < K; m++ {
				out.Set(i, m, acc[m*D+i]/count[i])
			}
		}
	default:
		return nil, fmt.Errorf("fit: Gap: unknown GapMode %d, expected GapPooled or GapMeanOfRatios", int(mode))
	}
	return out, nil
}

// SuppressionOptions configures Suppression.
type SuppressionOptions struct {
	EditParams
	Edits []Edit  // nil means AllEdits
	Fit   Options // window rule for every fit (e.g. RuleV1 with TopN = N')
	Gap   GapMode
	NoGap bool // skip the gap metric (it costs another pass over W per edit)
}

// SuppressionRow is one row of Fig. 5: an edited spectrum and what it implies.
type SuppressionRow struct {
	Edit  Edit
	Name  string
	Kappa []float64 // edited eigenvalues, layout of Spectra.Kappa
	Info  EditInfo
	// H and Eh2 are the recomputed diagonals; Eh2 is the noise diagonal C_ii (AWD proxy).
	H, Eh2 []float64
	Fit    Result // log10 Eh2 on log10 H: the fitted γ of the edited spectrum
	// HVsOrig and CVsOrig fit the new diagonal on the original one (columns 4 and 5 of
	// Fig. 5), log10 new on log10 original, with the same window rule.
	HVsOrig, CVsOrig Result
	Gap              *mat.Dense // Dirs × K gap metric (nil with NoGap)
	GapMean          []float64  // mean of Gap over the directions (finite entries), per k
}

// Suppression runs the suppression experiment of Fig. 5 (claim C6): for each edit it
// recomputes H_ii and C_ii := [E h²]_ii from the edited spectra, fits γ, compares the new
// diagonals with the original ones and computes the gap metric.
func Suppression(s *Spectra, opt SuppressionOptions) ([]SuppressionRow, error) {
	if s == nil {
		return nil, fmt.Errorf("fit: Suppression: Spectra is nil")
	}
	rows, _, err := SuppressionBlocks(s.Dirs, s.Dirs, func(int, int) (*Spectra, error) { return s, nil }, opt)
	return rows, err
}

// SuppressionBlocks is Suppression over dirs directions supplied in blocks of at most block
// directions by load(i0, i1) (the Spectra of directions i0..i1−1, all with the same Kappa),
// so that only N·K·block projections are held at once: the edits' diagonals and the gap
// metric are per-direction sums, computed block by block, and the fits are made at the end.
// It also returns the number of blocks.
func SuppressionBlocks(dirs, block int, load func(i0, i1 int) (*Spectra, error), opt SuppressionOptions) ([]SuppressionRow, int, error) {
	if dirs <= 0 || block <= 0 {
		return nil, 0, fmt.Errorf("fit: SuppressionBlocks: dirs = %d, block = %d, want both > 0", dirs, block)
	}
	edits := opt.Edits
	if edits == nil {
		edits = AllEdits
	}
	rows := make([]SuppressionRow, len(edits))
	var h0, e0 []float64
	nb := 0
	for i0 := 0; i0 < dirs; i0 += block {
		i1 := min(dirs, i0+block)
		s, err := load(i0, i1)
		if err != nil {
			return nil, 0, err
		}
		if err := s.Validate(); err != nil {
			return nil, 0, err
		}
		if s.Dirs != i1-i0 {
			return nil, 0, fmt.Errorf("fit: SuppressionBlocks: block %d..%d has %d directions", i0, i1, s.Dirs)
		}
		nb++
		h, e, err := s.Diagonals(nil)
		if err != nil {
			return nil, 0, err
		}
		h0, e0 = append(h0, h...), append(e0, e...)
		for j, ed := range edits {
			r := &rows[j]
			if i0 == 0 {
				r.Edit, r.Name = ed, ed.String()
				if r.Kappa, r.Info, err = s.Edit(ed, opt.EditParams); err != nil {
					return nil, 0, err
				}
				if !opt.NoGap {
					r.Gap = mat.NewDense(dirs, s.K, nil)
				}
			}
			h, e, err := s.Diagonals(r.Kappa)
			if err != nil {
				return nil, 0, err
			}
			r.H, r.Eh2 = append(r.H, h...), append(r.Eh2, e...)
			if !opt.NoGap {
				g, err := s.Gap(r.Kappa, opt.Gap)
				if err != nil {
					return nil, 0, err
				}
				r.Gap.Slice(i0, i1, 0, s.K).(*mat.Dense).Copy(g)
			}
		}
	}
	for j := range rows {
		r := &rows[j]
		var err error
		if r.Fit, err = LogLog(r.H, r.Eh2, opt.Fit); err != nil {
			return nil, 0, fmt.Errorf("fit: Suppression edit %s: C vs H: %w", r.Name, err)
		}
		if r.HVsOrig, err = LogLog(h0, r.H, opt.Fit); err != nil {
			return nil, 0, fmt.Errorf("fit: Suppression edit %s: new H vs original H: %w", r.Name, err)
		}
		if r.CVsOrig, err = LogLog(e0, r.Eh2, opt.Fit); err != nil {
			return nil, 0, fmt.Errorf("fit: Suppression edit %s: new C vs original C: %w", r.Name, err)
		}
		if r.Gap != nil {
			_, k := r.Gap.Dims()
			r.GapMean = make([]float64, k)
			for m := 0; m < k; m++ {
				r.GapMean[m] = Aggregate(mat.Col(nil, m, r.Gap)).Mean // NaN directions skipped
			}
		}
	}
	return rows, nb, nil
}
