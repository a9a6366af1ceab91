# keel: build, run and test. `make help` lists the doors.
#
#   make            build/keel.elf (multiboot v1+v2) and build/keel.iso (GRUB, BIOS+UEFI)
#   make run        boot keel with its demo VMs under QEMU, serial log on the terminal
#   make test       every test: lint, host unit tests, boots in QEMU/OVMF/Bochs, guests
#   make test-long  the long tests alone (two Bochs Linux boots...; not part of make test)
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

# keel's objects: each folder lists its own in objects.mk (boot/ first: the multiboot headers
# must open the image). UNIT_SRCS are the pure-logic sources the host unit tests link.
FOLDERS := boot kernel lib mm drivers vm exit vdev loader mgmt svm vmx
KOBJS :=
UNIT_SRCS :=
include $(addsuffix /objects.mk,$(FOLDERS))

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
UNIT_SRCS += tests/unit/fakes_vdev.c tests/unit/fakes_virtio.c $(UNIT_EXTRA)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))
UNIT_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(UNIT_SRCS) tests/unit/fakes.c)

$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$<)$(CC) $(HCFLAGS) -c $< -o $@

$(BUILD)/unit/%: $(BUILD)/host/tests/unit/%.o $(UNIT_OBJS)
	@mkdir -p $(dir $@)
	$(call say,HOSTLD,$@)$(CC) $(HCFLAGS) -o $@ $^ -lcmocka

# The local APIC's test links the real vlapic*.c (the others get fakes_vdev.c's vlapic_deliver).
VLAPIC_HOST := $(patsubst %.c,$(BUILD)/host/%.o,$(VLAPIC_SRCS))
$(BUILD)/unit/test_vlapic: $(VLAPIC_HOST)
# The platform's walk links the real table and the local APIC it lists.
$(BUILD)/unit/test_vdevs: $(BUILD)/host/vdev/vdevs.o $(VLAPIC_HOST)

# The vCPU record's checks are pure logic; its save and load need a backend.
$(BUILD)/unit/test_vcpu_rec: $(BUILD)/host/vm/vcpu_rec_check.o

# The virtio transport's tests and virtio-net's see its PCI calls through fakes_virtio.c,
# whatever vpci.c does.
PCI_WRAP := pci_func_init pci_func_bar pci_func_cap pci_func_msix vpci_add pci_msix_enabled \
            pci_msix_send pci_intx
comma := ,
$(BUILD)/unit/test_virtio $(BUILD)/unit/test_virtq $(BUILD)/unit/test_vnet: HCFLAGS += $(addprefix -Wl$(comma)--wrap=,$(PCI_WRAP))
# The virtio console's test drives the kind alone over a fake transport of its own: it links
# no vdev/virtio*.c or vdev/virtq*.c.
VCONS_HOST := $(filter-out $(BUILD)/host/vdev/virtio% $(BUILD)/host/vdev/virtq%,$(UNIT_OBJS))
$(BUILD)/unit/test_vcons: $(BUILD)/host/tests/unit/test_vcons.o $(VCONS_HOST)
	@mkdir -p $(dir $@)
	$(call say,HOSTLD,$@)$(CC) $(HCFLAGS) -o $@ $^ -lcmocka

# Snapshot memory's test links the real guest memory and page tables (the others get
# fakes_virtio.c's guest memory), and nothing else.
SNAPMEM_HOST := $(addprefix $(BUILD)/host/,tests/unit/fakes.o tests/unit/snapmem_model.o \
                mm/pagetable.o mm/gmem.o vm/snapmem.o)
$(BUILD)/unit/test_snapmem $(BUILD)/unit/test_snapmem_clone: $(BUILD)/unit/%: \
		$(BUILD)/host/tests/unit/%.o $(SNAPMEM_HOST)
	@mkdir -p $(dir $@)
	$(call say,HOSTLD,$@)$(CC) $(HCFLAGS) -o $@ $^ -lcmocka

unit: $(UNIT_TESTS)

# ---- the doors ----------------------------------------------------------------------------
deps:
	@tools/deps

run: deps all
	tools/demo $(RUN_ARGS)

test: deps
	@$(MAKE) --no-print-directory all unit
	tests/run $(TEST_ARGS)

# The long tests alone (tests/run --long: two Bochs machines booting Linux, and the like).
test-long: deps
	@$(MAKE) --no-print-directory all unit
	tests/run --long $(TEST_ARGS)

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

# clang-format, cppcheck, and the layers: no call from keel's objects goes up a layer or closes
# a cycle between folders (tools/layers, from the objects' symbols).
lint: $(BUILD)/keel.elf
	@tools/lint $(LINT_FILES)
	@tools/layers --strict $(filter %.o,$(KOBJS))

# The layer report alone, with the largest knot of objects that call each other.
layers: $(BUILD)/keel.elf
	@tools/layers $(filter %.o,$(KOBJS))

format:
	clang-format -i $(LINT_FILES)

clean:
	rm -rf $(BUILD)

help:
	@sed -n '1,13p' Makefile

.PHONY: all unit deps run test test-long soak bench debug lint layers format clean help

-include $(shell find $(BUILD) -path $(BUILD)/fresh -prune -o -name '*.d' -type f -print 2>/dev/null)
