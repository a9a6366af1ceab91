# vdev/: the devices a guest sees, one file each, the platform's table and their state records.
# Every file here is an object: a new device needs no line. The host unit tests link all but
# the table and the local APIC (vlapic*.c), which the tests that need them link (Makefile).
KOBJS += $(patsubst %.c,%.o,$(wildcard vdev/*.c))
UNIT_SRCS += $(filter-out vdev/vdevs.c vdev/vlapic%.c,$(wildcard vdev/*.c))
