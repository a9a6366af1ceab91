# vdev/: the devices a guest sees, one file each, the platform's table and their state records.
# Every file here is an object: a new device needs no line. The host unit tests link all but
# the table and the local APIC (vlapic*.c), which the tests that need them link (Makefile);
# the APICs' message routing (vlapic_route.c) is linked by all, as the I/O APIC and PCI use it.
KOBJS += $(patsubst %.c,%.o,$(wildcard vdev/*.c))
VLAPIC_SRCS := $(filter-out vdev/vlapic_route.c,$(wildcard vdev/vlapic*.c))
UNIT_SRCS += $(filter-out vdev/vdevs.c $(VLAPIC_SRCS),$(wildcard vdev/*.c))
