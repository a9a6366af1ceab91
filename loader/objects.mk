# loader/: VM definitions, modules, image detection, one file per image format, VM (re)start.
KOBJS += loader/vmdef.o loader/vmconfig.o loader/image.o loader/guest_boot.o loader/linux_boot.o
UNIT_SRCS += loader/vmdef.c loader/image.c
