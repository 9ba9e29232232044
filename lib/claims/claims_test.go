package claims

import (
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

// TestKindString pins the criterion kinds the reports print, and the form of an unnamed value.
func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Core: "core", Bound: "bound", Identity: "identity", Reported: "reported", Kind(4): "Kind(4)", Kind(-1): "Kind(-1)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind %d: %q, want %q", int(k), got, want)
		}
	}
}
