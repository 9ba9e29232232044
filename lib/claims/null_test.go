package claims

import (
	"fmt"
	"math"
	"testing"

	"github.com/noisecurv/noisecurv/lib/fit"
)

// TestNull feeds every claim's criteria an input where the claim's effect is absent and
// asserts the verdict is not "reproduced". Each null is chosen to pass the thresholds the
// claims used before they were sized to the effect (stated in one line per subtest), so the
// test shows that the current criteria can fail where the old ones could not.

// gammaAt is an exponent measured on n seeds with the given values, every window and rule
// within ±spread of the seed's value.
func gammaAt(spread float64, vs ...float64) Gamma {
	g := Gamma{Seeds: vs, RuleLo: math.Inf(1), RuleHi: math.Inf(-1)}
	for _, v := range vs {
		g.Sweep = append(g.Sweep, []float64{v - spread, v, v + spread, v})
		g.RuleLo, g.RuleHi = math.Min(g.RuleLo, v-spread), math.Max(g.RuleHi, v+spread)
	}
	s := fit.Aggregate(vs)
	g.Mean, g.SD = s.Mean, s.Std
	return g
}

func series(label, loss string, emp, awd, fisher Gamma) Series {
	return Series{Label: label, Dataset: "mnist", Model: "mlp", Loss: loss, Classes: 10,
		Emp: emp, AWD: awd, Fisher: fisher, Acc: 1, Trained: true}
}

func TestNull(t *testing.T) {
	t.Run("C4-C5", func(t *testing.T) {
		// The paper's picture passes: CE superlinear, MSE linear, AWD tracking.
		good := []Series{
			series("CE", "ce", gammaAt(0.02, 1.13, 1.12, 1.14, 1.13), gammaAt(0.02, 1.135, 1.13, 1.14, 1.13), gammaAt(0, 1, 1, 1, 1)),
			series("MSE", "mse", gammaAt(0.01, 1.01, 1.0, 1.02, 1.01), gammaAt(0.01, 1.03, 1.02, 1.04, 1.03), gammaAt(0, 1, 1, 1, 1)),
		}
		if v, why := Decide(SeriesCriteria(good)); v != Reproduced {
			t.Fatalf("the paper's picture: %s: %s", v, why)
		}
		// Null 1: a cross-entropy run labelled softmax+MSE (γ 1.12). Old rule |γ_MSE − 1| <= 0.15 passed it.
		null := []Series{good[0], series("MSE", "mse", gammaAt(0.02, 1.12), gammaAt(0.02, 1.12), gammaAt(0, 1))}
		if !(math.Abs(null[1].Emp.Mean-1) <= 0.15) {
			t.Fatal("null 1 is not adversarial for the old rule")
		}
		if v, why := Decide(SeriesCriteria(null)); v == Reproduced {
			t.Errorf("CE labelled MSE: %s: %s", v, why)
		}
		// Null 2: no superlinearity anywhere (γ 1.02 for both losses, AWD equal). Old rule γ_CE > 1 passed it.
		flat := gammaAt(0.03, 1.02, 1.01, 1.03)
		null = []Series{series("CE", "ce", flat, flat, gammaAt(0, 1, 1, 1)), series("MSE", "mse", flat, flat, gammaAt(0, 1, 1, 1))}
		if v, why := Decide(SeriesCriteria(null)); v == Reproduced {
			t.Errorf("no superlinearity: %s: %s", v, why)
		}
		// Null 3: softmax+MSE at 0.96 breaks 1 <= γ. Old rule: 1 − 0.05 <= γ passed it.
		null = []Series{good[0], series("MSE", "mse", gammaAt(0.004, 0.96, 0.955, 0.965), gammaAt(0.01, 1.02), gammaAt(0, 0.99))}
		if v, why := Decide(SeriesCriteria(null)); v == Reproduced {
			t.Errorf("MSE below the bound: %s: %s", v, why)
		}
	})
}

func TestNullC7(t *testing.T) {
	cell := func(loss string, k int, g float64) Series {
		s := series(fmt.Sprintf("%s C'=%d", loss, k), loss, gammaAt(0.01, g, g+0.005), gammaAt(0.01, g+0.01, g+0.015), gammaAt(0, 1, 1))
		s.Classes = k
		return s
	}
	// Every cell superlinear for CE and linear for MSE passes...
	var good []Series
	for _, k := range []int{3, 6, 10} {
		good = append(good, cell("ce", k, 1.2), cell("mse", k, 1.01))
	}
	if v, why := Decide(SeriesCriteria(good)); v != Reproduced {
		t.Fatalf("good grid: %s: %s", v, why)
	}
	// ...while a grid whose CE cells are barely superlinear (1.04) and whose MSE cells equal
	// them is not. Old rule (CE γ > 1, MSE within 0.15 of 1, |γ_AWD − γ_emp| <= 0.15) passed it.
	var null []Series
	for _, k := range []int{3, 6, 10} {
		null = append(null, cell("ce", k, 1.04), cell("mse", k, 1.04))
	}
	if v, why := Decide(SeriesCriteria(null)); v == Reproduced {
		t.Errorf("no effect: %s: %s", v, why)
	}
}
