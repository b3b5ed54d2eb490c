#!/usr/bin/env bash
# run_fuzzers.sh: builds the libFuzzer targets of tests/fuzz in a clang
# build dir and runs each one for a bounded time over a COPY of its checked-in
# seed corpus (tests/fuzz/corpus/<target>/ is never grown by a run).
# Fails if any target crashes, hangs (-timeout), leaks or runs out of memory.
# See docs/FUZZING.md.
#
#   scripts/run_fuzzers.sh [-j JOBS] [-t SECONDS] [-b BUILD_DIR] [TARGET...]
#
#   -j JOBS     ninja parallelism for the build (default 2)
#   -t SECONDS  -max_total_time per target (default 30)
#   -b DIR      build directory (default build-fuzz)
#   TARGET...   run only these targets (default: all)
#
# Crashing inputs are kept in <BUILD_DIR>/fuzz-artifacts/<target>/, logs in
# <BUILD_DIR>/fuzz-logs/<target>.log. Extra libFuzzer flags can be passed in
# FUZZ_FLAGS (e.g. FUZZ_FLAGS="-runs=1000000").
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JOBS=2
SECONDS_PER_TARGET=30
BUILD_DIR="build-fuzz"
while getopts "j:t:b:h" opt; do
  case "$opt" in
    j) JOBS="$OPTARG" ;;
    t) SECONDS_PER_TARGET="$OPTARG" ;;
    b) BUILD_DIR="$OPTARG" ;;
    *) sed -n '2,17p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

# Every target tests/fuzz/CMakeLists.txt declares: that file is the one list.
mapfile -t ALL_TARGETS < <(sed -n 's/^promethium_add_fuzzer(\([a-z0-9_]*\).*/\1/p' "$ROOT/tests/fuzz/CMakeLists.txt")
[[ ${#ALL_TARGETS[@]} -gt 0 ]] || { echo "run_fuzzers: no promethium_add_fuzzer lines in tests/fuzz/CMakeLists.txt" >&2; exit 1; }
TARGETS=("${ALL_TARGETS[@]}")
if [[ $# -gt 0 ]]; then TARGETS=("$@"); fi

# The dictionary of a target, if it has one.
dict_for() {
  case "$1" in
    textparse_fuzzer) echo "$ROOT/tests/fuzz/dict/exposition.dict" ;;
    promql_parser_fuzzer | promql_engine_fuzzer) echo "$ROOT/tests/fuzz/dict/promql.dict" ;;
    config_fuzzer | rulefmt_fuzzer) echo "$ROOT/tests/fuzz/dict/yaml.dict" ;;
    *) echo "" ;;
  esac
}

cd "$ROOT"
command -v clang++ >/dev/null || { echo "run_fuzzers: clang++ not found (apt-get install clang)" >&2; exit 1; }
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  # -O1 without NDEBUG: asserts stay on, so a broken invariant is a finding.
  cmake -G Ninja -S . -B "$BUILD_DIR" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" \
    -DPROMETHIUM_FUZZ=ON -DPROMETHIUM_BUILD_BENCH=OFF >/dev/null
fi
ninja -C "$BUILD_DIR" -j"$JOBS" "${TARGETS[@]}"

LOGS="$BUILD_DIR/fuzz-logs"
WORK="$BUILD_DIR/fuzz-corpus"
mkdir -p "$LOGS"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
printf '%-22s %8s %10s %8s %8s %s\n' target status execs exec/s cov ft
for t in "${TARGETS[@]}"; do
  bin="$BUILD_DIR/tests/fuzz/$t"
  seeds="$ROOT/tests/fuzz/corpus/$t"
  [[ -x "$bin" ]] || { echo "run_fuzzers: $bin was not built" >&2; exit 1; }
  [[ -d "$seeds" ]] || { echo "run_fuzzers: no seed corpus $seeds" >&2; exit 1; }
  # A fresh copy each run: what libFuzzer adds stays in the build dir.
  rm -rf "${WORK:?}/$t"
  mkdir -p "$WORK/$t" "$BUILD_DIR/fuzz-artifacts/$t"
  cp -R "$seeds/." "$WORK/$t/"
  flags=(-max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$BUILD_DIR/fuzz-artifacts/$t/")
  dict="$(dict_for "$t")"
  [[ -n "$dict" ]] && flags+=(-dict="$dict")
  # shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags
  if "$bin" "${flags[@]}" ${FUZZ_FLAGS:-} "$WORK/$t" >"$LOGS/$t.log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$t")
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOGS/$t.log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$LOGS/$t.log" | tail -1)"
  cov="$(grep -a -o 'cov: [0-9]*' "$LOGS/$t.log" | tail -1 | cut -d' ' -f2)"
  ft="$(grep -a -o 'ft: [0-9]*' "$LOGS/$t.log" | tail -1 | cut -d' ' -f2)"
  printf '%-22s %8s %10s %8s %8s %s\n' "$t" "$status" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}"
done
if [[ ${#failed[@]} -gt 0 ]]; then
  for t in "${failed[@]}"; do
    echo "== $t failed; last lines of $LOGS/$t.log (inputs in $BUILD_DIR/fuzz-artifacts/$t/):" >&2
    tail -40 "$LOGS/$t.log" >&2
  done
  exit 1
fi
echo "run_fuzzers: all ${#TARGETS[@]} targets ran ${SECONDS_PER_TARGET}s each without findings"
