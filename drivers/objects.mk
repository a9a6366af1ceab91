# drivers/: the real machine's devices.
KOBJS += drivers/uart.o drivers/cpufeat.o drivers/acpi.o drivers/timer.o drivers/lapic.o drivers/rtc.o \
	drivers/ioapic.o
