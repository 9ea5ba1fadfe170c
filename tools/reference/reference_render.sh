#!/usr/bin/env bash
# The reference runner: renders a Faust program with the reference compiler
# (`faust -lang cpp` + g++), taking the same arguments as `tutti render` and
# printing the same text format, so that the two can be compared sample by sample.
#
#   reference_render.sh PROGRAM.dsp -o OUT [--frames N | --seconds S] [--sample-rate R]
#       [--block B] [--input impulse|silence|noise|mix|FILE.wav] [--double]
#       [--press-buttons FRAMES] [--set PATH=VALUE]... [--set-at FRAME:PATH=VALUE]...
#       [--schedule] [-I DIR]...
#
# --schedule: apply the strict protocol's control schedule (src/support/
# test_schedule.h) and list it in the header as "# set-at FRAME:ADDRESS=VALUE".
# OUT is a .txt file or - (stdout). Binaries are cached by the hash of the program
# text, the compile flags and this runner (TUTTI_REFERENCE_CACHE, default
# build/reference-cache), so a re-run costs only the run itself.
# The reference faust is a test oracle: nothing here is linked into tutti.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

program="" out="" frames="" seconds="" rate=44100 block=64 input=silence double=0 press=""
sets=() incs=()
while [ $# -gt 0 ]; do
    case "$1" in
        -o) out="$2"; shift 2 ;;
        --frames) frames="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --sample-rate) rate="$2"; shift 2 ;;
        --block) block="$2"; shift 2 ;;
        --input) input="$2"; shift 2 ;;
        --double) double=1; shift ;;
        --press-buttons) press="$2"; shift 2 ;;
        --set) sets+=(-s "$2"); shift 2 ;;
        --set-at) sets+=(-S "$2"); shift 2 ;;
        --schedule) sets+=(-schedule); shift ;;
        -I) incs+=(-I "$2"); shift 2 ;;
        -h|--help) usage ;;
        -*) echo "reference_render: unknown option $1" >&2; usage ;;
        *) [ -z "$program" ] || usage; program="$1"; shift ;;
    esac
done
[ -n "$program" ] && [ -n "$out" ] || usage
[ -f "$program" ] || { echo "reference_render: no such file: $program" >&2; exit 2; }
if [ -n "$seconds" ] && [ -z "$frames" ]; then
    frames=$(awk -v s="$seconds" -v r="$rate" 'BEGIN { printf "%d", s * r + 0.5 }')
fi
frames=${frames:-20000}
case "$input" in
    impulse|silence|noise|mix) ;;
    *) input=$(cd "$(dirname "$input")" && pwd)/$(basename "$input") ;;
esac

dir=$(cd "$(dirname "$program")" && pwd)
name=$(basename "$program")
if [ "$double" = 1 ]; then
    fflags=(-double) cflags=(-DFAUSTFLOAT=double)
else
    fflags=(-single) cflags=(-DFAUSTFLOAT=float)
fi
# --set may name a control by its short name: only then is Faust's PathBuilder
# compiled in (it pulls in <regex>, slow to compile into every conformance build)
for s in "${sets[@]:-}"; do
    if [ "$s" = -s ]; then cflags+=(-DTUTTI_REFERENCE_SHORTNAMES); break; fi
done
# Bit-exact IEEE arithmetic in the order the generated code writes it (SSE2, no
# contraction into fused multiply-adds, no fast-math reassociation); the
# optimisation level only changes how long g++ takes.
REFERENCE_CXXFLAGS="${TUTTI_REFERENCE_OPT:--O1} -ffp-contract=off -fno-fast-math"
# Soundfiles: a program that names `soundfile` gets Faust's loader compiled in
# (the TUTTI_REFERENCE_SOUNDFILES parts of the architecture, hashed into its key
# only for such programs, so the other cached binaries stay valid); the files
# are looked for as written, then in the program's folder and the -I folders.
# A soundfile used only inside a library still gets the loader (decided on the
# generated C++), but its cache key does not follow those parts.
sounds=0
grep -q soundfile "$program" && sounds=1
arch_text() {
    if [ $sounds = 1 ]; then cat "$here/reference_arch.cpp"
    else awk '/^#ifdef TUTTI_REFERENCE_SOUNDFILES/ { skip = 1 } !skip { print } skip && /^#endif/ { skip = 0 }' "$here/reference_arch.cpp"; fi
}
sound_dirs=$dir
for ((k = 1; k < ${#incs[@]}; k += 2)); do sound_dirs+=":${incs[k]}"; done
export TUTTI_REFERENCE_SOUND_DIRS=$sound_dirs
cache=${TUTTI_REFERENCE_CACHE:-$root/build/reference-cache}
mkdir -p "$cache"
key=$( { cat "$program"; echo "${fflags[*]} ${cflags[*]} ${incs[*]:-}"; arch_text; cat \
        "$root/src/support/test_signal.h" \
        "$root/src/support/test_schedule.h"; echo "$REFERENCE_CXXFLAGS"; faust --version | sed -n 1p; } | sha256sum | cut -c1-24)
bin="$cache/$key"
if [ ! -x "$bin" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$dir" && faust -t 0 "${fflags[@]}" -lang cpp -a "$here/reference_arch.cpp" -I "$dir" \
        ${incs[@]+"${incs[@]}"} "$name" -o "$tmp/ref.cpp")
    # a soundfile used inside a library is found here too (its key does not
    # follow the soundfile parts of the architecture: see above)
    grep -q "ui_interface->addSoundfile" "$tmp/ref.cpp" && cflags+=(-DTUTTI_REFERENCE_SOUNDFILES)
    # shellcheck disable=SC2086
    g++ -std=c++17 $REFERENCE_CXXFLAGS "${cflags[@]}" \
        -I "$(faust -includedir)" -I "$root/src" -I "$dir" ${incs[@]+"${incs[@]}"} "$tmp/ref.cpp" -o "$tmp/ref" -lsndfile
    mv "$tmp/ref" "$bin"
fi
args=(-n "$frames" -r "$rate" -b "$block" -i "$input" -name "$name")
[ -z "$press" ] || args+=(-p "$press")
if [ "$out" = - ]; then
    "$bin" "${args[@]}" ${sets[@]+"${sets[@]}"}
else
    "$bin" "${args[@]}" ${sets[@]+"${sets[@]}"} > "$out"
fi
