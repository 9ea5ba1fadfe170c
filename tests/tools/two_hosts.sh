# Two "hosts" for tests (sourced, bash): network namespaces $A and $B joined
# by a veth pair ($VA in A with $IA/24, $VB in B with $IB/24), and for each a
# private D-Bus system bus and an avahi-daemon (its own /run/avahi-daemon
# through a mount namespace): real mDNS between them, nothing leaves the
# machine (../shared/infra.md). The caller sets A B IA IB VA VB and dir (a
# fresh temporary folder), sources this file, then calls two_hosts_up.
# Defines: T0, since T, fail MSG, pids (killed and waited for at exit, with the
# namespaces and $dir), start_bus TAG, start_avahi NS TAG IFACE HOSTNAME (sets
# AVAHI_PID), wait_for FILE PATTERN [SECONDS].
T0=$(date +%s.%N)
since() { printf '%.2f' "$(echo "$(date +%s.%N) - $1" | bc)"; }
fail() {
    echo "FAIL: $*"
    for f in "$dir"/*.log "$dir"/*.err "$dir"/*/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -15 "$f"; }; done
    exit 1
}
pids=()
two_hosts_cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2> /dev/null; done
    ip netns del "$A" 2> /dev/null
    ip netns del "$B" 2> /dev/null
    rm -rf "$dir"
}
# two_hosts_up: the namespaces and the veth pair (exit 77 when namespaces cannot be made)
two_hosts_up() {
    trap two_hosts_cleanup EXIT
    ip netns add "$A" && ip netns add "$B" || { echo "SKIP: cannot create network namespaces"; exit 77; }
    ip link add "$VA" type veth peer name "$VB" || fail "veth"
    ip link set "$VA" netns "$A"
    ip link set "$VB" netns "$B"
    ip netns exec "$A" sh -c "ip link set lo up; ip addr add $IA/24 dev $VA; ip link set $VA up"
    ip netns exec "$B" sh -c "ip link set lo up; ip addr add $IB/24 dev $VB; ip link set $VB up"
    mkdir -p /run/avahi-daemon # the mount point of each daemon's private one
}
# start_bus TAG: a D-Bus "system" bus on $dir/TAG/bus (allow-all policy)
start_bus() {
    mkdir -p "$dir/$1/run"
    cat > "$dir/$1/bus.conf" << CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$dir/$1/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*" eavesdrop="true"/>
<allow receive_sender="*"/></policy></busconfig>
CONF
    dbus-daemon --config-file="$dir/$1/bus.conf" --nofork --nopidfile > "$dir/$1/dbus.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do [ -S "$dir/$1/bus" ] && return 0; sleep 0.02; done
    fail "dbus-daemon $1 did not start"
}
# start_avahi NS TAG IFACE HOSTNAME: avahi-daemon on that bus, in NS; sets AVAHI_PID
# (also a restart: it waits for one more "Server startup complete" in the log)
start_avahi() {
    printf '[server]\nhost-name=%s\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=lo,%s\nratelimit-interval-usec=1000000\nratelimit-burst=1000\n[wide-area]\nenable-wide-area=no\n[publish]\npublish-workstation=no\npublish-hinfo=no\n' \
        "$4" "$3" > "$dir/$2/avahi.conf"
    local started
    touch "$dir/$2/avahi.log"
    started=$(grep -c 'Server startup complete' "$dir/$2/avahi.log")
    ip netns exec "$1" unshare -m sh -c "mount --bind '$dir/$2/run' /run/avahi-daemon && exec env DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/$2/bus avahi-daemon --no-drop-root --no-chroot --no-rlimits -f '$dir/$2/avahi.conf'" \
        >> "$dir/$2/avahi.log" 2>&1 &
    AVAHI_PID=$!
    pids+=($AVAHI_PID)
    for _ in $(seq 200); do
        [ "$(grep -c 'Server startup complete' "$dir/$2/avahi.log")" -gt "$started" ] && return 0
        sleep 0.05
    done
    fail "avahi-daemon $2 did not start"
}
# wait_for FILE PATTERN [SECONDS]: until a line of FILE matches
wait_for() {
    local n=$(( ${3:-5} * 20 ))
    for _ in $(seq $n); do grep -q -- "$2" "$1" 2> /dev/null && return 0; sleep 0.05; done
    return 1
}
