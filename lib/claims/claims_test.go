package claims

import (
	"fmt"
	"strings"
	"testing"

	"github.com/noisecurv/noisecurv/lib/experiment"
)

func TestParseModels(t *testing.T) {
	if m, err := ParseModels(" mlp, cnn ,"); err != nil || len(m) != 2 || m[0] != "mlp" || m[1] != "cnn" {
		t.Errorf("ParseModels = %v, %v", m, err)
	}
	if m, err := ParseModels(""); err != nil || m != nil {
		t.Errorf("ParseModels(\"\") = %v, %v, want all (nil)", m, err)
	}
	if _, err := ParseModels("mpl"); err == nil || !strings.Contains(err.Error(), `"mpl"`) {
		t.Errorf("ParseModels(mpl): err = %v, want it to name mpl", err)
	}
}

func TestMLPLayerName(t *testing.T) {
	c := experiment.LayerWise(0)
	for target, want := range map[string]string{"fc2": "fc2 (50×50)", "fc5": "fc5 (10×50)", "fc9": "fc9 (D = 7)", "conv1": "conv1 (D = 7)"} {
		if got := mlpLayerName(c, target, 7); got != want {
			t.Errorf("%s: %q, want %q", target, got, want)
		}
	}
}

// TestKindString pins the criterion kinds the reports print, and the form of values with no
// name.
func TestKindString(t *testing.T) {
	if got, want := fmt.Sprintf("%v|%v|%v|%v|%v|%v", Kind(-1), Core, Bound, Identity, Reported, Kind(4)), "Kind(-1)|core|bound|identity|reported|Kind(4)"; got != want {
		t.Errorf("names %q, want %q", got, want)
	}
}
