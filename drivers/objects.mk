# drivers/: the real machine's devices.
KOBJS += drivers/uart.o drivers/cpufeat.o drivers/acpi.o drivers/timer.o drivers/lapic.o drivers/rtc.o \
	drivers/ioapic.o drivers/hpci.o drivers/hpci_bar.o drivers/hnic.o \
	drivers/hnic_virtio.o drivers/hnic_e1000.o
UNIT_SRCS += drivers/hpci_bar.c
