package claims

import (
	"strings"
	"testing"
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
