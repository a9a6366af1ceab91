# keel: build, run and test. `make help` lists the doors.
#
#   make            build/keel.elf (multiboot v1+v2) and build/keel.iso (GRUB, BIOS+UEFI)
#   make run        boot keel with its demo VMs under QEMU, serial log on the terminal
#   make test       every test: lint, host unit tests, boots in QEMU/OVMF/Bochs, guests
#   make soak       the scheduler and timer tests, 10x longer (not part of make test)
#   make bench      the benchmark table (build/bench.csv)
#   make debug      QEMU waiting for gdb, and gdb attached to it
#   make lint       clang-format check and cppcheck
#   make format     apply clang-format

BUILD   := build
CC      := gcc
LD      := ld
OBJCOPY := objcopy

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wundef -Wvla -Wpointer-arith
KCFLAGS := -std=gnu11 -O2 -g -I. $(WARN) -ffreestanding -fno-pic -fno-pie -mno-red-zone \
           -mgeneral-regs-only -mcmodel=small -fno-stack-protector -fno-omit-frame-pointer \
           -fno-asynchronous-unwind-tables -fno-common -fcf-protection=none -MMD -MP
KASFLAGS := -I. -D__ASSEMBLER__ -MMD -MP
KLDFLAGS := -T linker.ld -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments

# keel's objects, in link order (the multiboot headers must come first).
KOBJS := \
	boot/multiboot.o boot/entry.o boot/trampoline.o \
	kernel/main.o kernel/log.o kernel/fmt.o kernel/string.o kernel/parse.o kernel/token.o \
	kernel/cmdline.o kernel/bootinfo.o kernel/gdt.o kernel/trap.o kernel/isr.o \
	kernel/panic.o kernel/selftest.o \
	kernel/vm.o kernel/vmdef.o kernel/vmconfig.o kernel/image.o kernel/guest_boot.o kernel/linux_boot.o \
	kernel/guest.o kernel/bus.o kernel/sched.o kernel/exit.o kernel/exit_cr.o kernel/exit_io.o \
	kernel/exit_mmio.o kernel/msr.o kernel/cpuid.o kernel/hypercall.o kernel/guestout.o kernel/decode.o \
	kernel/gva.o kernel/virq.o kernel/smp.o kernel/console.o kernel/calendar.o \
	mm/mm.o mm/range.o mm/memmap.o mm/pmm.o mm/pagetable.o mm/heap.o mm/gmem.o \
	drivers/uart.o drivers/cpufeat.o drivers/acpi.o drivers/timer.o drivers/lapic.o drivers/rtc.o drivers/ioapic.o \
	svm/svm.o svm/svm_exit.o svm/svm_entry.o svm/npt.o svm/svm_dump.o \
	vmx/vmx.o vmx/vmx_exit.o vmx/vmx_entry.o vmx/ept.o vmx/vmx_dump.o \
	vdev/vdevs.o vdev/vuart.o vdev/debugexit.o vdev/fwcfg.o vdev/vpic.o vdev/vlapic.o vdev/vioapic.o \
	vdev/vpit.o vdev/vrtc.o vdev/vpci.o vdev/vkbd.o vdev/vacpi.o vdev/vpm.o vdev/vrecord.o

KOBJS := $(addprefix $(BUILD)/,$(KOBJS))

all: $(BUILD)/keel.elf $(BUILD)/keel.iso guests

# `make V=1` shows full commands.
V ?= 0
ifeq ($(V),0)
Q = @
say = @echo "  $(1)	$(2)";
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/%.o: %.S
	@mkdir -p $(dir $@)
	$(call say,AS,$<)$(CC) $(KASFLAGS) -c $< -o $@

$(BUILD)/keel.elf: $(KOBJS) linker.ld tools/check-image
	$(call say,LD,$@)$(LD) $(KLDFLAGS) -o $@ $(KOBJS)
	$(Q)tools/check-image $@

$(BUILD)/keel.iso: $(BUILD)/keel.elf tools/mkiso
	$(call say,ISO,$@)tools/mkiso $@ $(BUILD)/keel.elf

include tests/guests/guests.mk

# ---- host unit tests (cmocka) -------------------------------------------------------------
HCFLAGS := -std=gnu11 -O1 -g -I. $(WARN) -Wno-missing-prototypes -fsanitize=address,undefined \
           -fno-sanitize-recover=all -MMD -MP
UNIT_SRCS := kernel/fmt.c kernel/token.c kernel/cmdline.c kernel/parse.c kernel/bootinfo.c \
             mm/range.c mm/memmap.c mm/pmm.c mm/pagetable.c mm/heap.c kernel/decode.c \
             kernel/gva.c kernel/vmdef.c kernel/image.c kernel/cpuid.c kernel/calendar.c \
             kernel/guestout.c \
             vdev/vpic.c vdev/vpit.c vdev/vrtc.c vdev/vioapic.c vdev/vpci.c vdev/vkbd.c \
             vdev/vacpi.c vdev/vpm.c vdev/vrecord.c vdev/vuart.c vdev/fwcfg.c vdev/debugexit.c \
             tests/unit/fakes_vdev.c $(UNIT_EXTRA)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))
UNIT_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(UNIT_SRCS) tests/unit/fakes.c)

$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$<)$(CC) $(HCFLAGS) -c $< -o $@

$(BUILD)/unit/%: $(BUILD)/host/tests/unit/%.o $(UNIT_OBJS)
	@mkdir -p $(dir $@)
	$(call say,HOSTLD,$@)$(CC) $(HCFLAGS) -o $@ $^ -lcmocka

# The local APIC's test links the real vlapic.c (the others get fakes_vdev.c's vlapic_deliver).
$(BUILD)/unit/test_vlapic: $(BUILD)/host/vdev/vlapic.o

unit: $(UNIT_TESTS)

# ---- the doors ----------------------------------------------------------------------------
deps:
	@tools/deps

run: deps all
	tools/demo $(RUN_ARGS)

test: deps
	@$(MAKE) --no-print-directory all unit
	tests/run $(TEST_ARGS)

# The scheduler and timer tests with every window, count and timeout 10x longer (README Tests).
soak: deps
	@$(MAKE) --no-print-directory all unit
	KEEL_SOAK=10 tests/run -k sched/ $(TEST_ARGS)

bench: deps
	@$(MAKE) --no-print-directory all
	tools/bench

debug: deps all
	tools/keel-run --gdb $(RUN_ARGS)

LINT_FILES := $(shell git ls-files -co --exclude-standard -- '*.c' '*.h' 2>/dev/null)

lint:
	@tools/lint $(LINT_FILES)

# Calls between keel's objects against the layers of shared/DESIGN.md (a report, for now).
layers: $(BUILD)/keel.elf
	@tools/layers $(filter %.o,$(KOBJS))

format:
	clang-format -i $(LINT_FILES)

clean:
	rm -rf $(BUILD)

help:
	@sed -n '1,12p' Makefile

.PHONY: all unit deps run test soak bench debug lint layers format clean help

-include $(shell find $(BUILD) -path $(BUILD)/fresh -prune -o -name '*.d' -type f -print 2>/dev/null)
