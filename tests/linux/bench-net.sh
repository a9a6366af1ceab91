# keel.test=bench-net keel.role=serve|fetch keel.peer=ADDR (tools/bench): 64 MiB over TCP
# between two VMs on one link, by IPv6 link-local address. The fetching side listens and times
# from the first byte to the last; the serving side connects (retrying until it listens).
# busybox nc ends when its stdin ends: the listener keeps the console as its stdin.
# keel.tool=http: the serving side runs busybox httpd on a 64 MiB file, which it sends with
# sendfile (so TCP may build segments up to 64 KiB), and the fetching side times busybox wget;
# busybox nc writes 1 KiB per system call, so with nc the guests' system calls bound the rate.
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
# Interrupts each virtio vector took (one vCPU): per frame, with the switch's counters; and the
# frames the NIC sent, with their bytes, and received (the same count on keel and bare QEMU).
bn_stat() { cat /sys/class/net/eth0/statistics/"$1"; }
bn_irqs() {
	echo "KEEL-LINUX: bench-net interrupts $(awk '/virtio/ { printf "%s=%s ", $NF, $2 }' /proc/interrupts)"
	echo "KEEL-LINUX: bench-net frames sent $(bn_stat tx_packets) ($(bn_stat tx_bytes) bytes), received $(bn_stat rx_packets)"
}
# The guest's CPU time so far (/proc/stat's cpu line: user nice system idle iowait irq softirq,
# in 1/100 s), to tell where each side spends the transfer.
bn_cpu() { echo "KEEL-LINUX: bench-net cpu $1 $(head -1 /proc/stat | cut -d' ' -f3-9)"; }
bn_timed() {
	dd of=/dev/null bs=1 count=1 2>/dev/null
	a=$(bn_up)
	n=$(wc -c)
	b=$(bn_up)
	echo "KEEL-LINUX: bench-net $1 $(awk "BEGIN { printf \"%d bytes copied, %.4f seconds\", $n + 1, $b - $a }")"
}
if [ "$(bn_arg tool)" = http ]; then
	url="http://[$peer]:8080/f"
	if [ "$(bn_arg role)" = fetch ]; then
		i=0
		until wget -q -s "$url" 2>/dev/null || [ $i -ge 300 ]; do
			sleep 0.2
			i=$((i + 1))
		done
		wget -q -O - "$url" | bn_timed http-fetch
		echo done | nc "$peer" 5002
		bn_irqs
	else
		mkdir -p /tmp/www
		dd if=/dev/zero of=/tmp/www/f bs=64k count=1024 2>/dev/null
		httpd -p 8080 -h /tmp/www
		nc -l -p 5002 >/dev/null
		bn_irqs
		echo "KEEL-LINUX: bench-net served"
	fi
elif [ "$(bn_arg role)" = fetch ]; then
	bn_cpu before
	nc -l -p 5001 | bn_timed fetch
	bn_cpu after
	bn_irqs
else
	i=0
	bn_cpu before
	until dd if=/dev/zero bs=64k count=1024 2>/dev/null | nc "$peer" 5001 || [ $i -ge 300 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	bn_cpu after
	bn_irqs
	echo "KEEL-LINUX: bench-net served"
fi
