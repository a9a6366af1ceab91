# keel.test=bench-blk (tools/bench): 64 MiB written to /dev/vda, then read back, with direct
# I/O, timed by the guest's clock (adjtimex: microseconds).
bb_up() { adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf "%d.%06d", s, u }'; }
bb_time() {
	a=$(bb_up)
	dd "$@" bs=1M count=64 2>/dev/null
	b=$(bb_up)
	awk "BEGIN { printf \"%d bytes copied, %.4f seconds\", 64 * 1048576, $b - $a }"
}
echo "KEEL-LINUX: bench-blk write $(bb_time if=/dev/zero of=/dev/vda oflag=direct)"
echo "KEEL-LINUX: bench-blk read $(bb_time if=/dev/vda of=/dev/null iflag=direct)"
