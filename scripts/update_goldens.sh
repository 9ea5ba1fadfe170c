#!/usr/bin/env bash
# Rewrites the golden syntax trees (tests/golden/ast/NAME.ast) from the current
# parser. Review `git diff tests/golden` before committing: that is the re-blessing.
# TUTTI_BUILD names the build folder to use (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${TUTTI_BUILD:-build}/bin
tutti=$bin/tutti
[ -x "$tutti" ] || { echo "build first (make)" >&2; exit 1; }
for dsp in tests/golden/ast/*.dsp; do
    name=$(basename "$dsp" .dsp)
    (cd tests/golden/ast && "../../../$tutti" parse --dump --no-follow "$name.dsp") > "tests/golden/ast/$name.ast"
    echo "wrote tests/golden/ast/$name.ast"
done
dump=$bin/tutti_stage_dump
for dsp in tests/golden/stages/*.dsp; do
    base=${dsp%.dsp}
    "$dump" "$dsp" boxes > "$base.boxes"
    "$dump" "$dsp" signals > "$base.sig"
    "$dump" "$dsp" types > "$base.types"
    "$dump" "$dsp" normal > "$base.normal"
    "$dump" "$dsp" intervals > "$base.intervals"
    "$dump" "$dsp" ir > "$base.ir"
    echo "wrote $base.{boxes,sig,types,normal,intervals,ir}"
done
