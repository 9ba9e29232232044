#!/bin/sh
# entrypoint.sh: the lab image's entrypoint. Started as root, it
#   - refuses to start Jupyter without a token ($JUPYTER_TOKEN, or $JUPYTER_TOKEN_FILE naming a
#     file that holds it; Jupyter reads the token from the environment, so it never appears on
#     a command line or in the log),
#   - hands /opt/noisecurv/results to the lab user (uid 1000) when it is the empty, root-owned
#     folder that Docker creates for a bind mount of a folder missing on the host (a fresh
#     clone has no results/), and checks that the lab user can write there,
#   - runs the command as the lab user.
# Started as any other user (docker run --user), it only runs the command.
set -eu
RESULTS=/opt/noisecurv/results
die() { echo "noisecurv-lab: $*" >&2; exit 1; }

if [ "${1:-}" = jupyter ] && [ "${2:-}" = notebook ]; then
	if [ -z "${JUPYTER_TOKEN:-}" ] && [ -n "${JUPYTER_TOKEN_FILE:-}" ]; then
		[ -r "$JUPYTER_TOKEN_FILE" ] || die "JUPYTER_TOKEN_FILE=$JUPYTER_TOKEN_FILE is not a readable file"
		JUPYTER_TOKEN="$(tr -d ' \t\r\n' <"$JUPYTER_TOKEN_FILE")"
		export JUPYTER_TOKEN
		unset JUPYTER_TOKEN_FILE
	fi
	[ -n "${JUPYTER_TOKEN:-}" ] || die "set JUPYTER_TOKEN (for example export JUPYTER_TOKEN=\$(openssl rand -hex 16)); the lab does not start without a token"
fi

if [ "$(id -u)" = 0 ]; then
	if [ -d "$RESULTS" ] && [ "$(stat -c %u "$RESULTS")" = 0 ] && [ -z "$(ls -A "$RESULTS")" ]; then
		chown lab:lab "$RESULTS"
	fi
	if ! setpriv --reuid=lab --regid=lab --init-groups test -w "$RESULTS"; then
		die "$RESULTS (results/ on the host) is owned by uid $(stat -c %u "$RESULTS") and not writable by the lab user (uid 1000): on the host, run: sudo chown -R 1000 results   (or remove it if empty)"
	fi
	export HOME=/home/lab USER=lab LOGNAME=lab
	exec setpriv --reuid=lab --regid=lab --init-groups "$@"
fi
exec "$@"
