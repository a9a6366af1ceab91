# exit/: what each exit means, once for both backends.
KOBJS += exit/exit.o exit/access.o exit/cr.o exit/io.o exit/mmio.o exit/msr.o exit/msr_cpu.o exit/mtrr.o exit/cpuid.o exit/hypercall.o \
	exit/decode.o exit/gva.o
UNIT_SRCS += exit/decode.c exit/gva.c exit/cpuid.c exit/mtrr.c
