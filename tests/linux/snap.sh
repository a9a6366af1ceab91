#!/bin/busybox sh
# keel.test=snap (sourced by tests/linux/init): the Linux side of snap/linux (tests/suite_snap.py).
# It waits for a line typed on the console before and after writing a file in RAM; keel's
# snapshot is taken while it waits the first time, and the rollback brings it back there, so
# the second "before" finds no file. After the second snapshot it sleeps a second (the clock
# and its interrupts work after a rollback) and the init powers off.
echo "snap: ready"
read -r line
echo "snap: before [$(ls /root)]"
echo data > /root/f
sync
echo "snap: wrote [$(ls /root)] up $(cut -d' ' -f1 /proc/uptime)"
read -r line
sleep 1
echo "snap: slept 1 second, up $(cut -d' ' -f1 /proc/uptime)"
