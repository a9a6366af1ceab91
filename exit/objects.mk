# exit/: what each exit means, once for both backends.
KOBJS += exit/exit.o exit/access.o exit/cr.o exit/io.o exit/mmio.o exit/msr.o exit/msr_cpu.o exit/mtrr.o \
	exit/cpuid.o exit/cpuid_xsave.o exit/hypercall.o exit/decode.o exit/alu.o exit/gva.o \
	exit/debug.o exit/debug_hw.o exit/debug_mem.o
UNIT_SRCS += exit/debug_hw.c exit/decode.c exit/alu.c exit/gva.c exit/cpuid.c exit/cpuid_xsave.c exit/mtrr.c
