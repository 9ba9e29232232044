// Package nntest builds the small random networks that the tests of the packages above lib/nn
// (lib/curv, lib/awd, lib/experiment, lib/claims) analyse. It imports lib/nn, so lib/nn's own
// tests cannot use it.
package nntest

import (
	"testing"

	"github.com/noisecurv/noisecurv/lib/nn"
)

// Model returns nn.Build(spec, seed) with every parameter multiplied by scale: 1 keeps the
// PyTorch-default initialization, larger values give the confident, strongly curved outputs
// the curvature tests need. It fails t when spec does not build.
func Model(t testing.TB, spec nn.Spec, seed uint64, scale float64) *nn.Model {
	t.Helper()
	m, err := nn.Build(spec, seed)
	if err != nil {
		t.Fatalf("nntest: %v", err)
		return nil
	}
	for _, p := range m.Params() {
		for i := range p.Value {
			p.Value[i] *= scale
		}
	}
	return m
}

// Loss returns the loss named name (see nn.LossByName), failing t when there is none.
func Loss(t testing.TB, name string) nn.Loss {
	t.Helper()
	l, err := nn.LossByName(name)
	if err != nil {
		t.Fatalf("nntest: %v", err)
	}
	return l
}
