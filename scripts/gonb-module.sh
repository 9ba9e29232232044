#!/usr/bin/env bash
# gonb-module.sh: make this checkout's Go module importable from a GoNB notebook.
#
#   !*bash "${NOISECURV_ROOT:-$GONB_DIR/..}/scripts/gonb-module.sh"     (a notebook's first cell)
#
# GoNB compiles every cell in a temporary Go module of its own; `!*` runs a shell command in
# that module's folder. This script adds to it a requirement on github.com/noisecurv/noisecurv
# replaced by the checkout this script lives in, so `import "github.com/noisecurv/noisecurv/lib/..."`
# compiles against the working tree (edits to lib/ show up on the next cell run).
#
# The cell finds the script through NOISECURV_ROOT (set by `make notebooks`) or, in the lab
# and in the Docker image, through GONB_DIR, the notebook's folder (notebooks/, one level
# below the module root). Run with no GoNB module around (no go.mod in the current folder),
# it fails with a message instead of editing anything.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULE=github.com/noisecurv/noisecurv
if ! grep -qs "^module $MODULE\$" "$ROOT/go.mod"; then
	echo "gonb-module.sh: $ROOT/go.mod is not the $MODULE module" >&2
	exit 1
fi
if [ ! -f go.mod ]; then
	echo "gonb-module.sh: no go.mod in $(pwd): run it from a notebook cell with !* (GoNB's module folder)" >&2
	exit 1
fi
go mod edit -require="$MODULE@v0.0.0-00010101000000-000000000000" -replace="$MODULE=$ROOT"
echo "noisecurv module: $ROOT"
