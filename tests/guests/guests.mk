# Test guests, built into build/guests/: NAME.elf (ELF64), NAME32.elf (multiboot ELF32),
# NAME.bin (flat real mode), and in bad/ the broken images the bad-definition tests feed keel.
# Included from the top Makefile.

# -fno-delete-null-pointer-checks: guests read and write guest-physical page 0 on purpose.
GUEST_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
                -mgeneral-regs-only -fno-asynchronous-unwind-tables -fcf-protection=none \
                -fno-delete-null-pointer-checks -Wall -Wextra -Werror -Itests/guests
GUEST_DIR := $(BUILD)/guests
GUEST_LDFLAGS := -z noexecstack --no-warn-rwx-segments

# Guests in C: GUESTS_C are built both as an ELF64 and as a 32-bit multiboot image;
# GUESTS_C64 only make sense in 64-bit mode (they need a page table over 4 GiB).
GUESTS_C := hello cpuid msr virt mmio triple bench spin timer smp echo ends chaos strio prefix print \
	yield sipi kvmclock tsc events msrs irqonce lapic lapic-smp pci dbgself
GUESTS_C64 := isolation cpustate xsave avx features virtio-hostile counter netpeer gdbt diskrw
GUEST_ELFS := $(foreach g,$(GUESTS_C),$(GUEST_DIR)/$(g).elf $(GUEST_DIR)/$(g)32.elf) \
              $(foreach g,$(GUESTS_C64),$(GUEST_DIR)/$(g).elf)
GUEST_BINS := $(GUEST_DIR)/hello16.bin $(GUEST_DIR)/events16.bin
GUEST_BAD := $(addprefix $(GUEST_DIR)/bad/,empty.img truncated.elf hello.elf.gz hello.elf.bz2)

# The runtime: the entry code, and an archive (so a guest links only what it uses) of the
# console and libc, checks, exceptions and user mode.
GUEST_RT := rt.o check.o trap.o user.o ap.o vio.o
GUEST_RT64 := $(GUEST_DIR)/rt/start64.o64 $(GUEST_DIR)/rt64.a
GUEST_RT32 := $(GUEST_DIR)/rt/start32.o32 $(GUEST_DIR)/rt32.a
GUEST_HDRS := $(wildcard tests/guests/rt/*.h)

$(GUEST_DIR)/%.o64: tests/guests/%.c $(GUEST_HDRS)
	@mkdir -p $(dir $@)
	$(call say,GUEST,$@)$(CC) $(GUEST_CFLAGS) -m64 -mno-red-zone -c $< -o $@
# The guest gdb debugs: -Og, so that gdb's `next` goes over its source lines in order.
$(GUEST_DIR)/gdbt.o64: GUEST_CFLAGS += -Og
$(GUEST_DIR)/%.o32: tests/guests/%.c $(GUEST_HDRS)
	@mkdir -p $(dir $@)
	$(call say,GUEST,$@)$(CC) $(GUEST_CFLAGS) -m32 -c $< -o $@
$(GUEST_DIR)/rt/%.o64: tests/guests/rt/%.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) -m64 -c $< -o $@
$(GUEST_DIR)/rt/%.o32: tests/guests/rt/%.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) -m32 -c $< -o $@

$(GUEST_DIR)/rt64.a: $(addprefix $(GUEST_DIR)/rt/,$(GUEST_RT:.o=.o64) trap64.o64 user64.o64)
	$(call say,AR,$@)rm -f $@ && $(AR) rcs $@ $^
$(GUEST_DIR)/rt32.a: $(addprefix $(GUEST_DIR)/rt/,$(GUEST_RT:.o=.o32) trap32.o32 user32.o32)
	$(call say,AR,$@)rm -f $@ && $(AR) rcs $@ $^

$(GUEST_DIR)/%.elf: $(GUEST_DIR)/%.o64 $(GUEST_RT64) tests/guests/guest64.ld
	$(call say,GUESTLD,$@)$(LD) $(GUEST_LDFLAGS) -m elf_x86_64 -T tests/guests/guest64.ld \
		-o $@ $< $(GUEST_RT64)
$(GUEST_DIR)/%32.elf: $(GUEST_DIR)/%.o32 $(GUEST_RT32) tests/guests/guest64.ld
	$(call say,GUESTLD,$@)$(LD) $(GUEST_LDFLAGS) -m elf_i386 -T tests/guests/guest64.ld \
		-o $@ $< $(GUEST_RT32)
$(GUEST_DIR)/%.bin: tests/guests/%.S
	@mkdir -p $(dir $@)
	$(call say,GUEST,$@)$(CC) -m32 -c $< -o $(GUEST_DIR)/$*.o16 && \
		$(OBJCOPY) -O binary -j .text $(GUEST_DIR)/$*.o16 $@

# Images keel must refuse: empty, an ELF cut short inside its first segment, gzip and bzip2
# data (GRUB unpacks gzip modules itself; bzip2 it passes as it is).
$(GUEST_DIR)/bad/empty.img:
	@mkdir -p $(dir $@)
	$(call say,GEN,$@): > $@
$(GUEST_DIR)/bad/truncated.elf: $(GUEST_DIR)/hello.elf
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)head -c 200 $< > $@
$(GUEST_DIR)/bad/hello.elf.gz: $(GUEST_DIR)/hello.elf
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)gzip -9 -n -c $< > $@
$(GUEST_DIR)/bad/hello.elf.bz2: $(GUEST_DIR)/hello.elf
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)bzip2 -9 -c $< > $@

guests: $(GUEST_ELFS) $(GUEST_BINS) $(GUEST_BAD)
.PHONY: guests
.SECONDARY:
