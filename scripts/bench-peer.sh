#!/bin/bash
# Peer benchmark: samples/s of one training step (forward, cross-entropy, backward to the
# parameter gradients) of the MNIST MLP 784-50-50-10 at batch 50 and of the paper's CNN at
# batch 32, for lib/nn in float32 and float64, pure Go and OpenBLAS, and for PyTorch on the
# same shapes (2 threads) when Debian's python3-torch is installed. Everything runs in one
# invocation, in ROUNDS interleaved rounds, and the table shows medians over the rounds, so
# the ratios compare runs made under the same machine load. PyTorch is a development tool
# here: nothing in the product or its tests uses it.
#
#   scripts/bench-peer.sh                 # ROUNDS=3 BENCHTIME=2s by default
#   OPENBLAS_CORETYPE=SkylakeX scripts/bench-peer.sh   # if OpenBLAS misdetects the CPU
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
BENCHTIME=${BENCHTIME:-2s}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go test -c -o "$tmp/nn-go" ./lib/nn
go test -c -tags openblas -o "$tmp/nn-openblas" ./lib/nn
torch=no
if "$PYTHON" -c 'import torch' 2>/dev/null; then
	torch=yes
fi
secs=${BENCHTIME%s}
pattern='^Benchmark(MNISTMLPStep50Params|MNISTMLPStep50F32|CNNStep32Params|CNNStep32F32)$'

# Lines "impl bench precision samples/s" in $tmp/raw.
for r in $(seq "$ROUNDS"); do
	for impl in go openblas; do
		GOMAXPROCS=$THREADS OPENBLAS_NUM_THREADS=$THREADS "$tmp/nn-$impl" -test.run '^$' -test.bench "$pattern" -test.benchtime "$BENCHTIME" |
			awk -v impl="$impl" '/samples\/s/ {
				name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
				prec = (name ~ /F32$/) ? "float32" : "float64"
				sub(/(F32|Params)$/, "", name)
				for (i = 2; i < NF; i++) if ($(i+1) == "samples/s") print impl, name, prec, $i
			}' >>"$tmp/raw"
	done
	if [ "$torch" = yes ]; then
		"$PYTHON" scripts/bench-peer-torch.py "$secs" "$THREADS" | awk '{print "pytorch", $2, $3, $4}' >>"$tmp/raw"
	fi
	echo "round $r/$ROUNDS done" >&2
done

echo "lib/nn vs PyTorch, training step samples/s, median of $ROUNDS rounds of $BENCHTIME ($THREADS threads; $(nproc) CPUs; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; torch: $torch)"
echo
awk -v torch="$torch" '
	{ v[$1 " " $2 " " $3] = v[$1 " " $2 " " $3] " " $4 }
	function median(s,   a, n, i, j, t) {
		n = split(s, a, " ")
		if (n == 0) return 0
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function fmt(x) { return x > 0 ? sprintf("%.0f", x) : "-" }
	function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2fx", a / b) : "-" }
	END {
		print "| step | precision | pure Go | OpenBLAS | PyTorch | OpenBLAS / PyTorch | pure Go / PyTorch | OpenBLAS / PyTorch float32 |"
		print "|---|---|---|---|---|---|---|---|"
		split("MNISTMLPStep50 CNNStep32", names, " ")
		label["MNISTMLPStep50"] = "MNIST MLP 784-50-50-10, B 50"
		label["CNNStep32"] = "paper CNN, MNIST, B 32"
		for (k = 1; k <= 2; k++) for (p = 1; p <= 2; p++) {
			n = names[k]; prec = (p == 1) ? "float32" : "float64"
			g = median(v["go " n " " prec]); o = median(v["openblas " n " " prec])
			t = median(v["pytorch " n " " prec]); t32 = median(v["pytorch " n " float32"])
			printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", label[n], prec, fmt(g), fmt(o), fmt(t), ratio(o, t), ratio(g, t), ratio(o, t32)
		}
	}' "$tmp/raw"
