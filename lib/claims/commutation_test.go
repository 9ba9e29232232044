package claims

import (
	"slices"
	"testing"
)

func TestCommutationConfigCheckpoints(t *testing.T) {
	fast, err := CommutationConfig(Options{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 5, 10, 20}; !slices.Equal(fast.Checkpoints, want) || fast.Epochs != 30 {
		t.Errorf("fast: checkpoints %v epochs %d, want %v and 30", fast.Checkpoints, fast.Epochs, want)
	}
	if err := fast.Validate(); err != nil {
		t.Errorf("fast config invalid: %v", err)
	}
	paper, err := CommutationConfig(Options{Paper: true}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 10, 30, 50, 70, 80, 90}; !slices.Equal(paper.Checkpoints, want) || paper.Epochs != 100 || paper.Seed != 3 {
		t.Errorf("paper: checkpoints %v epochs %d seed %d", paper.Checkpoints, paper.Epochs, paper.Seed)
	}
}
