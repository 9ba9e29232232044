package claims

import (
	"fmt"
	"math"
	"strings"

	"github.com/noisecurv/noisecurv/internal/enum"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// A claim's verdict is decided by its criteria, never by prose. Each criterion is one
// statistic measured on the claim's data, compared with a threshold sized to the effect, and
// the same statistic measured on a control where the effect is absent:
//
//	passes        the conservative end of the measured band clears the threshold
//	              (Lo for "above", Hi for "below": uncertainty works against the claim)
//	control fails the control's value does not clear the same threshold
//	margin        effect / threshold (above) or threshold / effect (below), from the
//	              measured value: > 1 passes, the larger the clearer
//
// The verdict (Decide) is "reproduced" only when every core criterion and every bound passes
// and every control fails; "not shown" when everything passes but a control passes too (the
// statistic cannot tell the effect from its absence); "partly" when some but not all core
// criteria pass; "not reproduced" when none does. Identities (consequences of algebra or of
// the engine's exactness, such as H_ii² <= [E h²]_ii) are shown as sanity checks and never
// counted as evidence; reported rows are context.

// Kind says how a criterion enters the verdict.
type Kind int

const (
	// Core criteria are the evidence: each must pass, and its control must fail.
	Core Kind = iota
	// Bound criteria are inequalities the paper states (1 <= γ <= 2), checked on the point
	// value with no tolerance; they must hold, and have no control.
	Bound
	// Identity criteria hold by construction (algebra or the engine's exactness): shown as
	// sanity checks, never counted as evidence. A failing identity is an engine bug and makes
	// the verdict "not reproduced".
	Identity
	// Reported criteria are context: measured and shown, never deciding.
	Reported
)

var kindNames = [...]string{Core: "core", Bound: "bound", Identity: "identity", Reported: "reported"}

func (k Kind) String() string { return enum.Name(k, kindNames[:], "Kind") }

// Sense is the side of the threshold on which a criterion passes.
type Sense int

const (
	// Above passes when the statistic exceeds the threshold.
	Above Sense = iota
	// Below passes when the statistic is under the threshold.
	Below
)

// Estimate is a measured statistic with its uncertainty band [Lo, Hi] (NaN ends: unknown,
// the value stands for itself) and what the band covers ("4 seeds × rules v1/v2 × windows
// N'/2..2N'", "8 random draws", ...).
type Estimate struct {
	Value  float64
	Lo, Hi float64
	Band   string
}

// Point is an estimate without an uncertainty band.
func Point(v float64) Estimate { return Estimate{Value: v, Lo: math.NaN(), Hi: math.NaN()} }

// lo and hi are the band's ends, the value where the band is unknown.
func (e Estimate) lo() float64 {
	if math.IsNaN(e.Lo) {
		return e.Value
	}
	return math.Min(e.Lo, e.Value)
}

func (e Estimate) hi() float64 {
	if math.IsNaN(e.Hi) {
		return e.Value
	}
	return math.Max(e.Hi, e.Value)
}

// widen extends the band to contain v (an unknown end becomes v).
func (e *Estimate) widen(v float64) {
	if math.IsNaN(e.Lo) || v < e.Lo {
		e.Lo = v
	}
	if math.IsNaN(e.Hi) || v > e.Hi {
		e.Hi = v
	}
}

// String formats the estimate as "v [lo, hi]".
func (e Estimate) String() string {
	s := fmtG(e.Value)
	if !math.IsNaN(e.Lo) || !math.IsNaN(e.Hi) {
		s += " [" + fmtG(e.lo()) + ", " + fmtG(e.hi()) + "]"
	}
	return s
}

// Criterion is one test of a claim; see the package comment on verdicts.
type Criterion struct {
	// Name says what is tested, in words ("CE is superlinear (MNIST MLP, C'=10)").
	Name string
	// Statistic is the measured quantity ("γ_emp − 1").
	Statistic string
	Kind      Kind
	Sense     Sense
	Measured  Estimate
	Threshold float64
	// ThresholdWhy says how the threshold is sized ("half the CE effect, (γ_CE − 1)/2").
	ThresholdWhy string
	// ControlName describes the control ("softmax+MSE, same cell"); Control is the same
	// statistic measured on it (nil: none, which a core criterion must not lack).
	ControlName string
	Control     *Estimate
}

// clears reports whether value v clears the threshold.
func (c Criterion) clears(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	if c.Sense == Above {
		return v > c.Threshold
	}
	return v < c.Threshold
}

// Passes reports whether the measured statistic clears the threshold: its band's
// conservative end for core criteria, its value for bounds, identities and reported rows.
func (c Criterion) Passes() bool {
	if c.Kind != Core {
		return c.clears(c.Measured.Value)
	}
	if c.Sense == Above {
		return c.clears(c.Measured.lo())
	}
	return c.clears(c.Measured.hi())
}

// ControlPasses reports whether the control clears the threshold too (its value): a
// criterion whose control passes cannot tell the effect from its absence.
func (c Criterion) ControlPasses() bool {
	return c.Control != nil && c.clears(c.Control.Value)
}

// Margin is effect / threshold: measured / threshold for Above, threshold / measured for
// Below (magnitudes), NaN where a zero makes it meaningless. Above 1 passes.
func (c Criterion) Margin() float64 {
	v, t := c.Measured.Value, c.Threshold
	if c.Sense == Above {
		if t == 0 || math.IsNaN(v) {
			return math.NaN()
		}
		if t < 0 {
			return t / v // e.g. "z below −3" written as Above on −z is preferred; kept sane
		}
		return v / t
	}
	if v == 0 {
		return math.Inf(1)
	}
	if math.IsNaN(v) || t == 0 {
		return math.NaN()
	}
	return t / v
}

// Outcome describes the criterion's result in a few words.
func (c Criterion) Outcome() string {
	switch {
	case c.Kind == Reported:
		return "reported"
	case !c.Passes() && c.Kind == Identity:
		return "FAILS (identity: engine bug)"
	case !c.Passes():
		return "fails"
	case c.Kind == Identity:
		return "holds (identity, not evidence)"
	case c.Kind == Bound:
		return "holds"
	case c.Control == nil:
		return "passes; no control"
	case c.ControlPasses():
		return "passes, but so does the control"
	default:
		return "passes; control fails"
	}
}

// NotShown is the verdict of a claim whose criteria pass but cannot fail: a control passes too.
const NotShown Verdict = "not shown"

// Decide derives a claim's verdict from its criteria (package comment), with a sentence
// naming what decided it.
func Decide(cs []Criterion) (Verdict, string) {
	var core, failed, controls, broken []string
	nCore, nPass := 0, 0
	for _, c := range cs {
		switch c.Kind {
		case Identity:
			if !c.Passes() {
				broken = append(broken, c.Name)
			}
			continue
		case Reported:
			continue
		}
		nCore++
		if c.Passes() {
			nPass++
			core = append(core, c.Name)
		} else {
			failed = append(failed, fmt.Sprintf("%s (%s = %s, threshold %s %s)", c.Name, c.Statistic, c.Measured, senseWord(c.Sense), fmtG(c.Threshold)))
		}
		if c.Kind == Core && (c.Control == nil || c.ControlPasses()) {
			if c.Control == nil {
				controls = append(controls, c.Name+" has no control")
			} else {
				controls = append(controls, fmt.Sprintf("%s: the control (%s) gives %s, which clears the threshold too", c.Name, c.ControlName, fmtG(c.Control.Value)))
			}
		}
	}
	switch {
	case len(broken) > 0:
		return NotReproduced, "A sanity identity fails (" + strings.Join(broken, "; ") + "): the numbers cannot be trusted."
	case nCore == 0:
		return Informational, "Nothing here is a test: the rows are reported for context."
	case nPass < nCore && nPass > 0:
		return Partly, fmt.Sprintf("%d of %d criteria pass. Failing: %s.", nPass, nCore, strings.Join(failed, "; "))
	case nPass < nCore:
		return NotReproduced, fmt.Sprintf("No criterion passes. Failing: %s.", strings.Join(failed, "; "))
	case len(controls) > 0:
		return NotShown, fmt.Sprintf("All %d criteria pass, but %s.", nCore, strings.Join(controls, "; "))
	}
	return Reproduced, fmt.Sprintf("All %d criteria pass and every control fails them.", nCore)
}

func senseWord(s Sense) string {
	if s == Above {
		return ">"
	}
	return "<"
}

// CriteriaTable renders criteria for notebooks and the report: each with its measured
// value and band, threshold, control value, margin and outcome.
func CriteriaTable(cs []Criterion) *viz.Table {
	t := &viz.Table{Header: []string{"criterion", "kind", "statistic", "measured [band]", "threshold", "control", "margin", "outcome"}}
	for _, c := range cs {
		t.Rows = append(t.Rows, criterionCells(c))
	}
	return t
}

// criterionCells is one criterion as table cells (CriteriaTable, Markdown, CSV).
func criterionCells(c Criterion) []string {
	meas := c.Measured.String()
	if c.Measured.Band != "" {
		meas += " (" + c.Measured.Band + ")"
	}
	th := senseWord(c.Sense) + " " + fmtG(c.Threshold)
	if c.Kind == Reported {
		th = "—" // reported rows have no threshold, only sometimes a reason why
	}
	if c.ThresholdWhy != "" {
		th += " (" + c.ThresholdWhy + ")"
	}
	ctl := "—"
	if c.Control != nil {
		ctl = c.ControlName + ": " + c.Control.String()
	}
	margin := "—"
	if m := c.Margin(); !math.IsNaN(m) && c.Kind != Reported {
		margin = fmt.Sprintf("%.2f", m)
	}
	return []string{c.Name, c.Kind.String(), c.Statistic, meas, th, ctl, margin, c.Outcome()}
}

// fmtG formats a statistic compactly: 4 significant digits, "n/a" for NaN.
func fmtG(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case v != 0 && (math.Abs(v) < 1e-3 || math.Abs(v) >= 1e5):
		return fmt.Sprintf("%.2e", v)
	}
	return fmt.Sprintf("%.4g", v)
}
