// Package experiment runs the paper's experiments: a Config fixes the data subset, the model,
// the training run and the analysis; Run trains (Train) and analyses (AnalyzeLayer) it and
// caches the Result under Config.Key, a hash of the config's canonical JSON and
// FormatVersion, so that finished runs are found again bit for bit.
//
// A Handle owns one trained run: its config, its data subset (loaded on first use), the model
// after every analysed epoch (trained or loaded on first use), the loss, the cached Result,
// and the curv.Problem of any target layer or block at any analysed epoch. Derived caches
// anything computed from a run (an AWD analysis, a top-k block analysis, an
// eigendecomposition) next to the run's entries, under Config.Key()+"-"+tag; a cached value
// costs neither data loading nor training.
//
// Layer stores, per analysed layer, the diagonals of the six matrices (Matrix: H, C, Covar,
// Eh2, F, EF) in H's eigenbasis and the power-law fits keyed by FitKey ("C/v1": log10 C_ii on
// log10 H_ii with the v1 window). The stored maps are keyed by the keys' string form so that
// cached Results stay decodable; use the typed accessors Fit, Gamma, Diagonal.
//
// Table1 lays out the paper's grid of runs as GridCells (one per dataset, model, loss and
// class count, over several seeds): each reads its seeds from the cache (Load) or runs them
// (Compute), summarises the exponents over seeds and names the command that computes the
// seeds still missing.
package experiment
