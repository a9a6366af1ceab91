# keel.test=console (tests/suite_virtio_cons.py): hvc0, the virtio console of a VM defined with
# console=virtio (issue 14 item 5). A line written to /dev/hvc0 must reach keel's log as this
# VM's own line; a line typed on keel's console is read back from hvc0 and echoed there.
# keel.bulk=hvc0 or keel.bulk=ttyS0 then writes 64 KiB (1024 lines of 64 bytes) to that
# device, so that keel's end-of-run exit counts compare the two paths. keel.halfline begins
# a line on hvc0 before the wait, which the echo finishes.
# A virtio console function (PCI device 0x1043, virtio 1.2 4.1.2) gets hvc0 from its driver.
cons=$(grep -l 0x1043 /sys/bus/pci/devices/*/device 2>/dev/null)
n=0
while [ -n "$cons" ] && [ ! -c /dev/hvc0 ] && [ $n -lt 10 ]; do
	sleep 1
	n=$((n + 1))
done
if [ -c /dev/hvc0 ]; then
	echo "KEEL-LINUX: hvc0 found"
	echo "KEEL-HVC: hello through hvc0" >/dev/hvc0
	exec 3<>/dev/hvc0
	stty -echo <&3
	# keel.halfline: a line begun before the wait, finished by the echo (snap/console).
	if grep -q keel.halfline /proc/cmdline; then
		printf 'KEEL-HVC: begun before, ' >&3
	fi
	echo "KEEL-LINUX: type on hvc0"
	if read -r -t 300 line <&3; then
		echo "KEEL-LINUX: hvc0 read '$line'"
		echo "KEEL-HVC: echo '$line'" >&3
	else
		echo "KEEL-LINUX: hvc0 read nothing"
	fi
	exec 3>&-
else
	echo "KEEL-LINUX: no hvc0"
fi
bulk=$(sed -n 's/.*keel\.bulk=\([a-zA-Z0-9]*\).*/\1/p' /proc/cmdline)
if [ -n "$bulk" ]; then
	echo "KEEL-LINUX: bulk 65536 bytes through $bulk"
	yes "KEEL-BULK xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" | head -n 1024 >"/dev/$bulk"
	echo "KEEL-LINUX: bulk done"
fi
