# Compares two renders in the shared text format (lines starting with '#' are
# headers). Usage: awk -v tol=1e-9 -f compare.awk REFERENCE OURS
# (scripts/conformance.sh: 1e-9 in double precision, 1e-4 in single).
# Prints "match <frames> <max_abs_error>" or "mismatch frame=<n> output=<k>
# ref=<x> ours=<y> error=<e> first_difference=<frame of the first sample that
# differs at all>" and exits 1 on a mismatch. A value matches when
# |ours - ref| <= tol * max(1, |ref|); two NaNs match, as do equal infinities.
function abs(x) { return x < 0 ? -x : x }
FNR == 1 { file++ }
/^#/ { next }
file == 1 { ref[$1] = $0; nref++; next }
file == 2 {
    nours++
    if (!($1 in ref)) { printf "mismatch: frame %s is not in the reference\n", $1; bad = 1; exit 1 }
    n = split(ref[$1], r, "\t"); m = split($0, o, "\t")
    if (n != m) { printf "mismatch: frame %s has %d outputs, the reference %d\n", $1, m - 1, n - 1; bad = 1; exit 1 }
    for (i = 2; i <= n; i++) {
        x = r[i]; y = o[i]
        if (x == y) continue
        if ((x ~ /nan/) && (y ~ /nan/)) continue
        if ((x ~ /inf/) || (y ~ /inf/) || (x ~ /nan/) || (y ~ /nan/)) {
            printf "mismatch frame=%s output=%d ref=%s ours=%s\n", o[1], i - 2, x, y; bad = 1; exit 1
        }
        # force numbers: mawk may keep a denormal like 1e-318 as a string
        xn = x + 0; yn = y + 0
        if (xn != yn && first == "") first = o[1]
        d = abs(xn - yn); ax = abs(xn); lim = tol + 0
        if (ax > 1) lim = lim * ax
        if (d > maxerr) maxerr = d
        if (d > lim) {
            printf "mismatch frame=%s output=%d ref=%s ours=%s error=%g first_difference=%s\n", o[1], i - 2, x, y, d, first
            bad = 1; exit 1
        }
    }
}
END {
    if (bad) exit 1
    if (nours != nref) { printf "mismatch: %d frames, the reference has %d\n", nours, nref; exit 1 }
    printf "match %d %g\n", nref, maxerr + 0
}
