# virtio-blk (issue 14, item 7), sourced by the test init for keel.test=blk: it must not exit.
# Kernel parameters: keel.blk=NAME (who this VM is: it writes its name), keel.sha=HEX (the
# SHA-256 of data.bin on the disk the test built), keel.blk_end=reboot (write, then reboot
# and find the file after keel restarts the VM) or remount (write, drop the caches, mount
# again: one boot, for the slow backend).
blk_name=$(sed -n 's/.*keel\.blk=\([a-z0-9]*\).*/\1/p' /proc/cmdline)
blk_sha=$(sed -n 's/.*keel\.sha=\([0-9a-f]*\).*/\1/p' /proc/cmdline)
blk_end=$(sed -n 's/.*keel\.blk_end=\([a-z]*\).*/\1/p' /proc/cmdline)

# data.bin under $1 has the SHA-256 the test gave ($2 names the disk).
blk_sum() {
	got=$(sha256sum "$1/data.bin" | cut -d' ' -f1)
	if [ "$got" = "$blk_sha" ]; then
		echo "KEEL-LINUX: blk $2 sha256 ok"
	else
		echo "KEEL-LINUX: blk $2 sha256 is $got"
	fi
}

# The written file is there, and is this VM's.
blk_found() {
	if [ -f /mnt/written ]; then
		echo "KEEL-LINUX: blk found the written file ($(cat /mnt/written))"
	else
		echo "KEEL-LINUX: blk no written file"
	fi
}

# A read-only disk (vdb): Linux shows it read-only, a write fails, it reads as the image.
blk_ro() {
	echo "KEEL-LINUX: blk vdb ro $(cat /sys/block/vdb/ro)"
	if dd if=/dev/zero of=/dev/vdb bs=512 count=1 conv=fsync 2>/dev/null; then
		echo "KEEL-LINUX: blk vdb write accepted"
	else
		echo "KEEL-LINUX: blk vdb write refused"
	fi
	mkdir -p /ro
	if mount -t ext4 -o ro /dev/vdb /ro; then
		blk_sum /ro vdb
		[ -f /ro/written ] && echo "KEEL-LINUX: blk vdb has a written file"
		umount /ro
	else
		echo "KEEL-LINUX: blk vdb mount failed"
	fi
}

mkdir -p /mnt
echo "KEEL-LINUX: blk vda $(cat /sys/block/vda/size) sectors, serial $(cat /sys/block/vda/serial), ro $(cat /sys/block/vda/ro)"
if ! mount -t ext4 /dev/vda /mnt; then
	echo "KEEL-LINUX: blk mount failed"
elif [ -f /mnt/written ]; then
	blk_found
	blk_sum /mnt vda
	umount /mnt
else
	echo "KEEL-LINUX: blk no written file yet"
	blk_sum /mnt vda
	fstrim /mnt && echo "KEEL-LINUX: blk fstrim ok"
	echo "written by $blk_name" > /mnt/written
	sync
	umount /mnt
	echo "KEEL-LINUX: blk wrote a file"
	[ -e /dev/vdb ] && blk_ro
	if [ "$blk_end" = reboot ]; then
		echo "KEEL-LINUX: blk reboot"
		reboot -f
		sleep 30
	fi
	echo 3 > /proc/sys/vm/drop_caches
	mount -t ext4 /dev/vda /mnt && blk_found && blk_sum /mnt vda && umount /mnt
fi
