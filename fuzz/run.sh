#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each (default 90), starting from
# the committed seeds; new inputs go to fuzz/corpus/<target>, crashes to
# fuzz/artifacts/<target>. Needs cargo-fuzz; stable Rust works with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${SECONDS_PER_TARGET:-90}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(ls fuzz/fuzz_targets | sed 's/\.rs$//')
fi
export RUSTC_BOOTSTRAP=1
failed=()
cargo fuzz build
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    mask=0
    # The end-to-end target runs whole commands, which print.
    case "$t" in csv_import) mask=3 ;; esac
    echo "== $t (${seconds}s)"
    # Keep going after a crash (it is saved in fuzz/artifacts/$t); fail at the end.
    /usr/bin/time -f "$t: %U s user, %S s system, %e s wall" \
        cargo fuzz run "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -close_fd_mask="$mask" -print_final_stats=1 || failed+=("$t")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "crashed: ${failed[*]} (see fuzz/artifacts/)" >&2
    exit 1
fi
