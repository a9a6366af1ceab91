# Test guests, built into build/guests/: NAME.elf (ELF64), NAME32.elf (multiboot ELF32),
# NAME.bin (flat real mode). Included from the top Makefile.

GUEST_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
                -mgeneral-regs-only -fno-asynchronous-unwind-tables -fcf-protection=none \
                -Wall -Wextra -Werror -Itests/guests
GUEST_DIR := $(BUILD)/guests
GUEST_LDFLAGS := -z noexecstack --no-warn-rwx-segments

# Guests in C: each is built both as an ELF64 and as a 32-bit multiboot image.
GUESTS_C := hello
GUEST_ELFS := $(foreach g,$(GUESTS_C),$(GUEST_DIR)/$(g).elf $(GUEST_DIR)/$(g)32.elf)
GUEST_BINS := $(GUEST_DIR)/hello16.bin

$(GUEST_DIR)/%.o64: tests/guests/%.c tests/guests/rt/rt.h
	@mkdir -p $(dir $@)
	$(call say,GUEST,$@)$(CC) $(GUEST_CFLAGS) -m64 -mno-red-zone -c $< -o $@
$(GUEST_DIR)/%.o32: tests/guests/%.c tests/guests/rt/rt.h
	@mkdir -p $(dir $@)
	$(call say,GUEST,$@)$(CC) $(GUEST_CFLAGS) -m32 -c $< -o $@
$(GUEST_DIR)/rt/%.o64: tests/guests/rt/%.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) -m64 -c $< -o $@
$(GUEST_DIR)/rt/%.o32: tests/guests/rt/%.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) -m32 -c $< -o $@

$(GUEST_DIR)/%.elf: $(GUEST_DIR)/%.o64 $(GUEST_DIR)/rt/rt.o64 $(GUEST_DIR)/rt/start64.o64 tests/guests/guest64.ld
	$(call say,GUESTLD,$@)$(LD) $(GUEST_LDFLAGS) -m elf_x86_64 -T tests/guests/guest64.ld -o $@ \
		$(GUEST_DIR)/rt/start64.o64 $< $(GUEST_DIR)/rt/rt.o64
$(GUEST_DIR)/%32.elf: $(GUEST_DIR)/%.o32 $(GUEST_DIR)/rt/rt.o32 $(GUEST_DIR)/rt/start32.o32 tests/guests/guest64.ld
	$(call say,GUESTLD,$@)$(LD) $(GUEST_LDFLAGS) -m elf_i386 -T tests/guests/guest64.ld -o $@ \
		$(GUEST_DIR)/rt/start32.o32 $< $(GUEST_DIR)/rt/rt.o32
$(GUEST_DIR)/%.bin: tests/guests/%.S
	@mkdir -p $(dir $@)
	$(call say,GUEST,$@)$(CC) -m32 -c $< -o $(GUEST_DIR)/$*.o16 && \
		$(OBJCOPY) -O binary -j .text $(GUEST_DIR)/$*.o16 $@

guests: $(GUEST_ELFS) $(GUEST_BINS)
.PHONY: guests
.SECONDARY:
