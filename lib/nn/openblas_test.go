//go:build openblas

package nn_test

// Linking lib/linalg in the openblas build installs its OpenBLAS Dgemm/Dsyrk as gonum's BLAS,
// so `go test -tags openblas -bench TrainEpoch ./lib/nn` measures training on OpenBLAS, as
// a binary that also uses lib/curv (the CLI, the notebooks) trains.
import _ "github.com/noisecurv/noisecurv/lib/linalg"
