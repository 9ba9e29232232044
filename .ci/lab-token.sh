#!/usr/bin/env bash
# lab-token.sh: start the lab the way a user does (scripts/lab.sh, install skipped) and check
# its token handling:
#   - the API refuses requests without the token (403) and answers with it (200);
#   - the token is on no process's command line (ps) and not in the server's output;
#   - without $JUPYTER_TOKEN, lab.sh writes a new token to a 0600 file, and that token works;
#   - a token file that others can read, and options without their value, are refused with
#     a clear error.
# Every server it starts is stopped on exit. The token never goes on a command line here
# either: curl reads its header from a file, grep its pattern from a file.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="$(mktemp -d)"
PID=""
cleanup() {
	[ -z "$PID" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
	rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "lab-token: FAILED: $*" >&2; [ -f "$TMP/log" ] && sed 's/^/    /' "$TMP/log" >&2; exit 1; }

# start_lab ENV...: run scripts/lab.sh in the background with ENV, wait until it answers.
start_lab() {
	PORT=$((20000 + RANDOM % 20000))
	env "$@" JUPYTER_RUNTIME_DIR="$TMP/runtime" bash "$ROOT/scripts/lab.sh" --no-install --port "$PORT" >"$TMP/log" 2>&1 &
	PID=$!
	for _ in $(seq 1 120); do
		curl -s -o /dev/null "http://127.0.0.1:$PORT/api" && return 0
		kill -0 "$PID" 2>/dev/null || fail "scripts/lab.sh exited before the server answered"
		sleep 0.5
	done
	fail "no answer on 127.0.0.1:$PORT after 60 s"
}
stop_lab() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

# check_token TOKENFILE: 403 without the token, 200 with it, and the token leaked nowhere.
check_token() {
	printf 'Authorization: token %s\n' "$(cat "$1")" >"$TMP/header"
	without=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/kernels")
	with=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H @"$TMP/header" "http://127.0.0.1:$PORT/api/kernels")
	echo "lab-token: /api/kernels without token -> $without, with token -> $with"
	[ "$without" = 403 ] && [ "$with" = 200 ] || fail "want 403 without the token and 200 with it"
	ps -eo args >"$TMP/ps"
	! grep -qF -f "$1" "$TMP/ps" || fail "the token is on a command line: $(grep -F -f "$1" "$TMP/ps" | head -n 1 | cut -c1-60)..."
	! grep -qF -f "$1" "$TMP/log" || fail "the token is in the server's output"
	open="$(sed -n 's/^lab: or open \(.*\.html\),.*/\1/p' "$TMP/log")"
	[ -f "$open" ] && grep -qF -f "$1" "$open" || fail "the login page $open named by lab.sh is missing or lacks the token"
	echo "lab-token: token on no command line (ps), not in the output; login page $(basename "$open") ok"
}

echo "lab-token: 1. token from \$JUPYTER_TOKEN"
(umask 077 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/token")
JUPYTER_TOKEN="$(cat "$TMP/token")" start_lab JUPYTER_TOKEN_FILE=
unset JUPYTER_TOKEN
check_token "$TMP/token"
stop_lab

echo "lab-token: 2. no token given: lab.sh writes a new one to a 0600 file"
start_lab -u JUPYTER_TOKEN -u JUPYTER_TOKEN_FILE
file="$TMP/runtime/noisecurv-lab-token"
[ -f "$file" ] || fail "no token file at $file"
mode="$(stat -c %a "$file")"
[ "$mode" = 600 ] || fail "token file $file has mode $mode, want 600"
grep -qF "$file" "$TMP/log" || fail "lab.sh does not say where the token is"
echo "lab-token: token file $(basename "$file"), mode $mode"
check_token "$file"
stop_lab

echo "lab-token: 3. refused: a token file others can read, options without a value"
printf 'abc' >"$TMP/open-token" && chmod 644 "$TMP/open-token"
expect_refusal() { # expect_refusal MESSAGE ARGS...
	local want="$1"; shift
	if env -u JUPYTER_TOKEN bash "$ROOT/scripts/lab.sh" --no-install "$@" >"$TMP/log" 2>&1; then fail "lab.sh $* succeeded"; fi
	grep -qF -- "$want" "$TMP/log" || fail "lab.sh $*: want an error saying '$want'"
	! grep -q 'unbound variable' "$TMP/log" || fail "lab.sh $*: unbound variable"
	echo "lab-token: lab.sh $* -> $(head -n 1 "$TMP/log")"
}
expect_refusal "others can read it" --token-file "$TMP/open-token"
expect_refusal "--port needs a value" --port
expect_refusal "--token-file needs a value" --token-file
expect_refusal "want a port number" --port 99999
expect_refusal "unknown argument" --bogus
echo "lab-token: ok"
