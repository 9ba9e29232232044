#!/usr/bin/env bash
# lab-token.sh: start Jupyter the way scripts/lab.sh does (127.0.0.1, a token) and check that
# the API refuses requests without the token and answers with it. Stops the server after.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT=$((20000 + RANDOM % 20000))
TOKEN="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
LOG="$(mktemp)"
jupyter notebook --no-browser --ip=127.0.0.1 --port="$PORT" --port-retries=0 \
	--NotebookApp.token="$TOKEN" --notebook-dir="$ROOT/notebooks" $([ "$(id -u)" = 0 ] && echo --allow-root) >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 1 60); do
	curl -s -o /dev/null "http://127.0.0.1:$PORT/api" && break
	sleep 0.5
done
without=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/kernels")
with=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Authorization: token $TOKEN" "http://127.0.0.1:$PORT/api/kernels")
echo "lab-token: /api/kernels without token -> $without, with token -> $with"
if [ "$without" != 403 ] || [ "$with" != 200 ]; then
	echo "lab-token: FAILED: want 403 without the token and 200 with it" >&2
	cat "$LOG" >&2
	exit 1
fi
echo "lab-token: ok"
