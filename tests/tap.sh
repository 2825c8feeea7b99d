# shellcheck shell=bash
# tap.sh - the TAP helpers the shell test scripts share (sourced, not run):
# numbered ok / not ok lines with the failing output as diagnostics, a
# check of conditions, and text matching. The script prints the plan,
# "1..$n", at its end; $failed counts the failures. Sourcing it also
# makes $tmp, a scratch folder removed at exit.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kprim-test.XXXXXX") || { echo "no temporary folder" >&2; exit 2; }
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
# not_ok DESCRIPTION [OUTPUT]: its last lines follow as diagnostics
not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | tail -n 25 | sed 's/^/# /'
}
# expect DESCRIPTION OUTPUT CONDITION...: ok if the condition command succeeds
expect() {
	local what=$1 out=$2; shift 2
	if "$@"; then ok "$what"; else not_ok "$what" "$out"; fi
}
has() { grep -qF -- "$2" <<<"$1"; }
has_all() { local text=$1; shift; for s in "$@"; do has "$text" "$s" || return 1; done; }
