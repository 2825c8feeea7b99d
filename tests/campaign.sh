#!/usr/bin/env bash
# campaign.sh - scripts/campaign and scripts/coverage.sh on tiny budgets
# (the campaign stage of make test; TAP).
#
# A two-worker campaign over three targets, one with the test-only planted
# crash (KPRIM_FUZZ_PLANTED_CRASH, fuzz/expect.h): the crash comes out as
# exactly one triaged, minimized bug whose reproducer works, while the
# other targets keep fuzzing; the summary, its plot and the status file
# are written. A campaign killed with kill -9 resumes and loses no corpus
# input or crash; one stopped with SIGTERM says so and saves its state.
# The merge adds only to the corpora it is pointed at (a scratch copy),
# and not at all with --dry-run. AFL++ runs the same targets. The mutant
# patches still apply, and one runs end to end. Bad input is refused with
# one line.
set -uo pipefail

usage() {
	cat <<USAGE
usage: tests/campaign.sh [--help]

Runs scripts/campaign and scripts/coverage.sh on tiny budgets in a scratch
folder and prints TAP. Needs the fuzz and fuzz-model variants built
(make VARIANT=fuzz fuzz-build; make VARIANT=fuzz-model fuzz-build).
USAGE
}
case "${1:-}" in
-h|--help) usage; exit 0 ;;
"") ;;
*) echo "campaign.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.." || exit 2
# shellcheck source=tests/tap.sh
. tests/tap.sh

cp -r corpora "$tmp/corpora"
camp=(scripts/campaign --out "$tmp/out" --corpora "$tmp/corpora" --no-build)
targets=(--target fuzz_kvec --target fuzz_refcount --target fuzz_sched_refcount)
files() { find "$1" -type f 2>/dev/null | wc -l; }

# ---- bad input ---------------------------------------------------------------------
out=$("${camp[@]}" run 'bad name' --hours 1 2>&1); rc=$?
expect "a bad campaign name is refused in one line" "$out" \
	eval '[ $rc -eq 2 ] && has "$out" "letters, digits" && [ $(wc -l <<<"$out") -eq 1 ]'
out=$("${camp[@]}" run x --hours -1 2>&1); rc=$?
expect "negative hours are refused" "$out" eval '[ $rc -eq 2 ] && has "$out" "--hours"'
out=$("${camp[@]}" run x --target fuzz_nope 2>&1); rc=$?
expect "an unknown target is refused with the list" "$out" \
	eval '[ $rc -eq 2 ] && has "$out" "unknown target(s): fuzz_nope" && has "$out" "fuzz_kvec"'
out=$("${camp[@]}" status nothing 2>&1); rc=$?
expect "status of a campaign that does not exist says so" "$out" \
	eval '[ $rc -eq 2 ] && has "$out" "no campaign"'

# ---- a planted crash, triaged; the others keep fuzzing -----------------------------
out=$(KPRIM_FUZZ_PLANTED_CRASH=fuzz_kvec "${camp[@]}" run night --hours 0.006 --jobs 2 \
	--slice 5 --no-coverage "${targets[@]}" 2>&1); rc=$?
d=$tmp/out/night
expect "a tiny campaign runs to its end" "$out" \
	eval '[ $rc -eq 0 ] && has "$out" "campaign: night done" && [ -f "$d/summary.md" ]'
bugs=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$d/bugs.json" 2>&1)
expect "the planted crash is exactly one bug" "$out" eval '[ "$bugs" = 1 ]'
report=$(cat "$d"/bugs/01-fuzz_kvec-invariant/report.md 2>&1)
expect "its report names target, kind, headline, reproduction and minimized input" "$report" \
	eval 'has "$report" "target: \`fuzz_kvec\`" && has "$report" "kind: INVARIANT" &&
		has "$report" "headline: planted crash" && has "$report" "reproduced: 3 of 3" &&
		has "$report" "minimized input"'
input=$d/bugs/01-fuzz_kvec-invariant/input
expect "the minimized input is no longer than the planted magic plus a little" "$report" \
	eval '[ -f "$input" ] && [ $(stat -c %s "$input") -le 16 ]'
repro=$(KPRIM_FUZZ_PLANTED_CRASH=fuzz_kvec build/fuzz/fuzz/fuzz_kvec "$input" 2>&1); rc=$?
expect "the reproducer crashes with the headline" "$repro" \
	eval '[ $rc -ne 0 ] && has "$repro" "fuzz: unexpected report INVARIANT: planted crash"'
execs=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["per_target"]
print(min(s[t]["execs"] for t in ("fuzz_refcount", "fuzz_sched_refcount")))' "$d/state.json")
expect "the other targets kept fuzzing" "execs: $execs" eval '[ "${execs:-0}" -gt 1000 ]'
summary=$(cat "$d/summary.md")
expect "the summary has every target, the bug and the plot" "$summary" \
	eval 'has "$summary" "| fuzz_refcount |" && has "$summary" "| fuzz_sched_refcount |" &&
		has "$summary" "01-fuzz_kvec-invariant" && has "$summary" "coverage.png" &&
		[ -s "$d/coverage.png" ] && [ -s "$d/summary.json" ]'
rates=$(python3 -c '
import json, sys
rows = {r["target"]: r for r in json.load(open(sys.argv[1]))["targets"]}
for t, want in (("fuzz_kvec", 20000), ("fuzz_sched_refcount", 2000)):
    r = rows[t]
    assert r["exec_per_s"] > 0 and r["exec_per_s_target"] == want, r
    assert r["exec_per_s_met"] == (r["exec_per_s"] >= want), r
print("ok")' "$d/summary.json" 2>&1)
expect "each target's exec/s is judged against its own target (sequential, schedule)" \
	"$rates" eval '[ "$rates" = ok ] && grep -Eq "\| fuzz_kvec \|.*\((20,000): (met|\*\*missed\*\*)\)" "$d/summary.md" &&
		grep -Eq "\| fuzz_sched_refcount \|.*\((2,000): (met|\*\*missed\*\*)\)" "$d/summary.md"'
status=$("${camp[@]}" status night 2>&1)
expect "status prints the table and that it is not running" "$status" \
	eval 'has "$status" "fuzz_refcount" && has "$status" "is not running"'

# ---- kill -9, then resume: nothing lost ----------------------------------------------
KPRIM_FUZZ_PLANTED_CRASH=fuzz_kvec setsid "${camp[@]}" run resume --hours 0.006 --jobs 2 \
	--slice 4 --no-triage "${targets[@]}" >"$tmp/resume1.log" 2>&1 &
pid=$!
for _ in $(seq 60); do
	sleep 0.5
	[ "$(files "$tmp/out/resume/corpus")" -gt 0 ] && [ -n "$(ls -A "$tmp/out/resume/crashes/fuzz_kvec" 2>/dev/null)" ] && break
done
sleep 2
kill -9 -- "-$pid" 2>/dev/null
wait "$pid" 2>/dev/null
c1=$(files "$tmp/out/resume/corpus") k1=$(files "$tmp/out/resume/crashes")
cp -r "$tmp/out/resume/corpus" "$tmp/corpus-at-kill"
out=$(KPRIM_FUZZ_PLANTED_CRASH=fuzz_kvec "${camp[@]}" run resume --hours 0.006 --jobs 2 \
	--slice 4 --no-triage "${targets[@]}" 2>&1); rc=$?
lost=$(cd "$tmp/corpus-at-kill" && find . -type f | while read -r f; do
	[ -f "$tmp/out/resume/corpus/$f" ] || echo "$f"; done | wc -l)
expect "after kill -9 the rerun resumes and finishes" "$out" \
	eval '[ $rc -eq 0 ] && has "$out" "resuming resume" && has "$out" "campaign: resume done"'
expect "no corpus input or crash lost ($c1 inputs, $k1 crashes at the kill)" "lost: $lost" \
	eval '[ "$c1" -gt 0 ] && [ "$lost" -eq 0 ] && [ $(files "$tmp/out/resume/crashes") -ge "$k1" ]'

# ---- SIGTERM stops cleanly ------------------------------------------------------------
"${camp[@]}" run term --hours 1 --jobs 1 --slice 30 --no-triage --target fuzz_refcount \
	>"$tmp/term.log" 2>&1 &
pid=$!
sleep 3
kill -TERM "$pid"
wait "$pid"; rc=$?
out=$(cat "$tmp/term.log")
expect "SIGTERM stops the campaign, saves the state and says how to resume" "$out" \
	eval '[ $rc -eq 130 ] && has "$out" "stopped; state saved" && [ -f "$tmp/out/term/state.json" ] &&
		! pgrep -f "$tmp/out/term/corpus" >/dev/null'

# ---- merge ------------------------------------------------------------------------------
before=$(files "$tmp/corpora/fuzz_refcount")
out=$("${camp[@]}" merge night --dry-run 2>&1); rc=$?
expect "merge --dry-run says what it would add and changes nothing" "$out" \
	eval '[ $rc -eq 0 ] && has "$out" "would add" && [ $(files "$tmp/corpora/fuzz_refcount") -eq "$before" ]'
out=$("${camp[@]}" merge night 2>&1); rc=$?
after=$(files "$tmp/corpora/fuzz_refcount")
expect "merge adds only inputs with new coverage to the corpora it is given" "$out" \
	eval '[ $rc -eq 0 ] && has "$out" "added" && [ "$after" -ge "$before" ] &&
		git diff --quiet -- corpora'

# ---- coverage ---------------------------------------------------------------------------
out=$(scripts/coverage.sh --out "$tmp/cov" --target fuzz_refcount 2>&1); rc=$?
expect "coverage.sh reports primitives/ per file and per function, with HTML" "$out" \
	eval '[ $rc -eq 0 ] && grep -q "ref/refcount.c" "$tmp/cov/summary.txt" &&
		grep -q "refcount_warn_saturate" "$tmp/cov/functions.txt" &&
		[ -f "$tmp/cov/html/index.html" ] && grep -q "^lines [0-9.]*% of" "$tmp/cov/total.txt"'
# ---- AFL++ ----------------------------------------------------------------------------
# fuzz_pin_init's only seed is one bit from the planted magic: AFL++'s
# havoc finds the crash within a second or two, most times (a night, not
# a test, is where luck evens out: a miss is retried with a new campaign).
mkdir -p "$tmp/afl-corpora/fuzz_pin_init"
cp -r corpora/fuzz_refcount "$tmp/afl-corpora/"
printf KPBUF > "$tmp/afl-corpora/fuzz_pin_init/near-planted"
afl_run() {
	KPRIM_FUZZ_PLANTED_CRASH=fuzz_pin_init scripts/campaign --out "$tmp/out" \
		--corpora "$tmp/afl-corpora" run "$1" --engine afl --hours 0.003 --jobs 2 --slice 5 \
		--no-coverage --target fuzz_refcount --target fuzz_pin_init 2>&1
}
out=$(afl_run afl); rc=$?
execs=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["per_target"]
print(min(s[t]["execs"] for t in ("fuzz_refcount", "fuzz_pin_init")))' "$tmp/out/afl/state.json" 2>&1)
expect "--engine afl: afl-fuzz runs the same targets, its queue joins the campaign corpus" "$out" \
	eval '[ $rc -eq 0 ] && [ "${execs:-0}" -gt 1000 ] && [ $(files "$tmp/out/afl/corpus/fuzz_refcount") -gt 0 ] &&
		has "$out" "building the targets with AFL++"'
bugs() {
	python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))
print(len(b), *[(x["target"], x["kind"], x["flaky"]) for x in b])' "$tmp/out/$1/bugs.json" 2>&1
}
run=afl bug=$(bugs afl)
for retry in afl-again afl-third; do
	[ "${bug%% *}" = 0 ] || break
	out=$(afl_run "$retry"); run=$retry bug=$(bugs "$retry")
done
expect "--engine afl: AFL++'s crash goes through the same triage, one reproduced bug ($run)" "$bug
$out" \
	eval '[ "$bug" = "1 ('"'"'fuzz_pin_init'"'"', '"'"'INVARIANT'"'"', False)" ] &&
		has "$(cat "$tmp/out/$run"/bugs/01-fuzz_pin_init-invariant/report.md 2>&1)" "reproduced: 3 of 3"'

# ---- mutants -------------------------------------------------------------------------
out=$(scripts/mutants --check 2>&1); rc=$?
expect "every mutant patch has its header and still applies" "$out" \
	eval '[ $rc -eq 0 ] && has "$out" "apply cleanly"'
out=$(scripts/mutants --mutant kvec-reserve-one-short --budget 30 --out "$tmp/mutants" 2>&1); rc=$?
expect "a mutant runs end to end: caught by its target and its unit test, reported" "$out" \
	eval '[ $rc -eq 0 ] && has "$out" "1 of 1 caught" && grep -q "| kvec-reserve-one-short | fuzz_kvec | caught |" "$tmp/mutants/report.md" &&
		has "$out" "unit tests test_kvec: caught"'
out=$(scripts/mutants --mutant nope 2>&1); rc=$?
expect "an unknown mutant is refused" "$out" eval '[ $rc -eq 2 ] && has "$out" "unknown mutant(s): nope"'
echo "1..$n"
