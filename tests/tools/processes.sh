# Bounded waits for test scripts (sourced, bash). A process that does not end
# in time fails the test at once with its logs (or, for a tool of another
# project, is killed and said), instead of hanging the script until ctest's
# timeout kills it, and its output with it.
# Defines: ended PID, ends_within PID SECONDS, stop_process PID NAME.

# ended PID: true when PID no longer runs (gone, or a zombie not reaped yet:
# kill -0 succeeds on those)
ended() {
    local stat
    stat=$(cat "/proc/$1/stat" 2> /dev/null) || return 0
    stat=${stat##*) }
    [ "${stat%% *}" = Z ]
}

# ends_within PID SECONDS: true when PID ends within SECONDS (then `wait PID`
# gives its status at once); false, PID still running, after that
ends_within() {
    local end=$((SECONDS + $2))
    until ended "$1"; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.05
    done
}

# stop_process PID NAME: SIGTERM, then SIGKILL when it has not ended 5 s later
# (said on stdout); reaped either way. An empty PID is nothing to stop. Safe
# under set -e (its status is 0).
stop_process() {
    [ -n "$1" ] || return 0
    kill "$1" 2> /dev/null || true
    if ! ends_within "$1" 5; then
        echo "note: $2 (pid $1) had not ended 5 s after SIGTERM: SIGKILL"
        kill -KILL "$1" 2> /dev/null || true
    fi
    wait "$1" 2> /dev/null || true
}
