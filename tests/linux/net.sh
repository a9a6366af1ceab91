# tests/linux/net.sh (keel.test=net), sourced by the test init: eth0 on one of keel's switches.
# Kernel parameters it reads:
#   keel.net=serve|fetch|isolated  this VM's part: serve N MiB with nc (then stay up 20 s), fetch
#                                  them, or find for 15 tries that the peer cannot be reached
#   keel.peer=ADDR                 the peer's IPv6 link-local address (fe80::, from its mac=)
#   keel.mib=N                     MiB to copy (16 if not given)
# Lines: "net eth0 MAC ADDR", "net ping ok|failed", "net sha256 HEX" from both ends of the copy,
# "net fetched BYTES bytes in S s", "net isolated" or "net reached ADDR".
net_arg() { sed -n "s/.*keel\.$1=\([0-9a-z:]*\).*/\1/p" /proc/cmdline; }
net_role=$(net_arg net)
net_peer=$(net_arg peer)
net_mib=$(net_arg mib)
net_mib=${net_mib:-16}

# Wait up to $2 seconds for $1 to succeed, once a second.
net_wait() {
	n=0
	while [ "$n" -lt "$2" ]; do
		eval "$1" && return 0
		sleep 1
		n=$((n + 1))
	done
	return 1
}

# eth0 has a link-local address that duplicate address detection let through.
net_ll_ready() {
	a=$(ip -6 addr show dev eth0 scope link 2>/dev/null)
	case "$a" in *tentative*) return 1 ;; *fe80*) return 0 ;; esac
	return 1
}

# One echo request to the peer, answered within a second.
net_ping() { ping -c 1 -W 1 "$net_peer%eth0" >/dev/null 2>&1; }

net_now() { cut -d' ' -f1 /proc/uptime; }

mkdir -p /tmp
net_wait '[ -e /sys/class/net/eth0 ]' 20 || echo "KEEL-LINUX: net no eth0"
ip link set lo up
ip link set eth0 up
net_wait net_ll_ready 30
echo "KEEL-LINUX: net eth0 $(cat /sys/class/net/eth0/address)" \
	"$(ip -6 addr show dev eth0 scope link | sed -n 's/.*inet6 \([^ ]*\).*/\1/p')"

case "$net_role" in
serve | fetch)
	if net_wait net_ping 90; then
		echo "KEEL-LINUX: net ping ok"
		ping -c 3 "$net_peer%eth0" | tail -1
	else
		echo "KEEL-LINUX: net ping failed"
	fi
	;;
esac

case "$net_role" in
serve)
	dd if=/dev/urandom of=/tmp/net.out bs=1M count="$net_mib" 2>/dev/null
	echo "KEEL-LINUX: net sha256 $(sha256sum /tmp/net.out | cut -d' ' -f1)"
	# nc sends the file, half-closes, and ends when the fetcher closes.
	timeout 600 nc -l -p 5001 </tmp/net.out
	echo "KEEL-LINUX: net served"
	rm -f /tmp/net.out
	sleep 20 # up a while longer, for an isolated VM to fail to reach
	;;
fetch)
	# nc's input is a pipe kept open: at end of input nc would half-close, and the server's
	# nc ends on that before it has sent everything.
	mkfifo /tmp/net.hold
	sleep 100000 >/tmp/net.hold &
	net_hold=$!
	t0=$(net_now)
	net_wait 'timeout 600 nc "$net_peer%eth0" 5001 </tmp/net.hold >/tmp/net.in 2>/dev/null &&
		[ -s /tmp/net.in ]' 60
	t1=$(net_now)
	kill "$net_hold"
	echo "KEEL-LINUX: net fetched $(wc -c </tmp/net.in) bytes in" \
		"$(awk "BEGIN { print $t1 - $t0 }") s"
	echo "KEEL-LINUX: net sha256 $(sha256sum /tmp/net.in | cut -d' ' -f1)"
	rm -f /tmp/net.in
	;;
isolated)
	if net_wait net_ping 15; then
		echo "KEEL-LINUX: net reached $net_peer"
	else
		echo "KEEL-LINUX: net isolated"
	fi
	;;
esac
