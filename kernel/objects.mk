# kernel/: start-up, boot info, command line, log, panic and shutdown, per-CPU data, GDT/IDT/traps,
# SMP bring-up and its trampoline.
KOBJS += kernel/main.o kernel/log.o kernel/cmdline.o kernel/bootinfo.o kernel/percpu.o kernel/gdt.o kernel/trap.o \
	kernel/isr.o kernel/panic.o kernel/selftest.o kernel/shutdown.o kernel/smp.o kernel/trampoline.o
UNIT_SRCS += kernel/cmdline.c kernel/bootinfo.c
