# vdev/: the devices a guest sees, one file each, and their state records.
KOBJS += vdev/vdevs.o vdev/vuart.o vdev/debugexit.o vdev/fwcfg.o vdev/vpic.o vdev/vlapic.o \
	vdev/vioapic.o vdev/vpit.o vdev/vrtc.o vdev/vpci.o vdev/vkbd.o vdev/vacpi.o vdev/vpm.o \
	vdev/vrecord.o
UNIT_SRCS += vdev/vpic.c vdev/vpit.c vdev/vrtc.c vdev/vioapic.c vdev/vpci.c vdev/vkbd.c vdev/vacpi.c \
	vdev/vpm.c vdev/vrecord.c vdev/vuart.c vdev/fwcfg.c vdev/debugexit.c
