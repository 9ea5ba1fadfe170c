#!/bin/sh
# Runs a command in a network namespace of its own with only the loopback
# interface, up: whatever the command sends (NetJack's multicast included)
# never leaves the machine, and ports cannot collide with other tests. The
# namespace dies with the command. Needs root or unprivileged user namespaces
# (unshare -rn) -- tried in that order.
if unshare -n true 2>/dev/null; then
    exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"
fi
exec unshare -rn sh -c 'ip link set lo up && exec "$@"' sh "$@"
