#!/bin/busybox sh
# keel.test=rng (sourced by tests/linux/init once the virtio modules are in, so it never exits):
# Linux's hardware RNG is keel's virtio-rng and gives bytes that are not all zero. Prints
# "KEEL-LINUX: rng ok", or why not.
rng_check() {
	local hw i cur hex
	hw=/sys/class/misc/hw_random
	i=0
	while [ "$(cat $hw/rng_current 2>/dev/null)" != virtio_rng.0 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cur=$(cat $hw/rng_current 2>/dev/null)
	if [ "$cur" != virtio_rng.0 ]; then
		echo "KEEL-LINUX: rng not ok: rng_current is '${cur:-missing}'," \
			"available '$(cat $hw/rng_available 2>/dev/null)'"
		return
	fi
	[ -e /dev/hwrng ] || mknod /dev/hwrng c 10 183
	hex=$(timeout 10 dd if=/dev/hwrng bs=64 count=1 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
	if [ ${#hex} -ne 128 ]; then
		echo "KEEL-LINUX: rng not ok: read $((${#hex} / 2)) of 64 bytes from /dev/hwrng"
	elif [ -z "$(echo "$hex" | tr -d 0)" ]; then
		echo "KEEL-LINUX: rng not ok: 64 zero bytes"
	else
		echo "KEEL-LINUX: rng ok: $hex"
	fi
	echo "KEEL-LINUX: rng interrupts:" $(grep virtio /proc/interrupts | tr -s ' ' | cut -d' ' -f3-)
}
rng_check
