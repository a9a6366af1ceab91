# keel.test=bench-net keel.role=serve|fetch keel.peer=ADDR (tools/bench): 64 MiB over TCP
# between two VMs on one link, by IPv6 link-local address. The fetching side listens and times
# from the first byte to the last; the serving side connects (retrying until it listens).
# busybox nc ends when its stdin ends: the listener keeps the console as its stdin.
bn_arg() { sed -n "s/.*keel\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
bn_up() { adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf "%d.%06d", s, u }'; }
ip link set eth0 up
i=0
while ! ip -6 addr show dev eth0 | grep 'scope link' | grep -qv tentative && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
peer="$(bn_arg peer)%eth0"
# The virtio features the driver took (bit 0 first: CSUM, GUEST_CSUM, ..., HOST_TSO4 at 11).
echo "KEEL-LINUX: bench-net features $(cat /sys/class/net/eth0/device/features 2>/dev/null)"
if [ "$(bn_arg role)" = fetch ]; then
	nc -l -p 5001 | {
		dd of=/dev/null bs=1 count=1 2>/dev/null
		a=$(bn_up)
		n=$(wc -c)
		b=$(bn_up)
		echo "KEEL-LINUX: bench-net fetch $(awk "BEGIN { printf \"%d bytes copied, %.4f seconds\", $n + 1, $b - $a }")"
	}
else
	i=0
	until dd if=/dev/zero bs=64k count=1024 2>/dev/null | nc "$peer" 5001 || [ $i -ge 300 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	echo "KEEL-LINUX: bench-net served"
fi
