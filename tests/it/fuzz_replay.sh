#!/usr/bin/env bash
# The fuzz targets as corpus replays (tests/fuzz, STYLE 10): every
# committed input of tests/fuzz/corpus/<target> through its target, built
# with the normal compiler, under ASan+UBSan in the SAN=1 build: batch
# and query (nyckeld's decoders), push (nyckel-push's JSON/CSV reader in
# libnyckel). ok-* inputs must be accepted, bad-* refused, the rest
# (libFuzzer's finds) must only not crash. No nyckeld needed.
set -euo pipefail
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.."
for t in batch query push; do
    "$BUILD/tests/fuzz_${t}_replay" "tests/fuzz/corpus/$t" ||
        { echo "FAIL: fuzz_${t} replay" >&2; exit 1; }
done
echo "ok: fuzz corpus replayed"
