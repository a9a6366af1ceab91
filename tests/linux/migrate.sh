#!/bin/busybox sh
# keel.test=migrate (sourced by tests/linux/init): the Linux side of migrate/linux
# (tests/suite_migrate.py). A loop in the background rewrites 128 KiB of a file in RAM and prints
# its count every second, before, during and after the migration; the shell then waits for a
# line typed on the destination's console and answers it, and the init powers off.
echo "migrate: ready"
(
	i=0
	while :; do
		i=$((i + 1))
		dd if=/dev/urandom of=/root/m bs=64k count=2 2>/dev/null
		echo "migrate: loop $i"
		sleep 1
	done
) &
read -r line
echo "migrate: answered [$line] up $(cut -d' ' -f1 /proc/uptime)"
kill $! 2>/dev/null
