/* Booting a Linux bzImage through its 64-bit entry point (Documentation/arch/x86/boot.rst,
 * "64-bit Boot Protocol"; zero-page.rst). keel plays the boot loader:
 *
 *   0x7000           boot_params (the "zero page"), with the setup header copied in and an
 *                    e820 map of the VM's RAM
 *   0x8000           the command line
 *   0xe0000          ACPI tables (RSDP where the legacy scan looks), when the VM has them
 *   load address     the protected-mode kernel: its preferred address when init_size fits
 *                    there, else the lowest suitably aligned address above 1 MiB
 *   high in low RAM  the initrd, below initrd_addr_max and clear of the kernel's init_size
 *   top of low RAM   identity page tables (shared with ELF64 guests) and a GDT with
 *                    __BOOT_CS = 0x10 and __BOOT_DS = 0x18, as the protocol requires
 *
 * The vCPU starts in long mode at load address + 0x200 with RSI pointing at boot_params and
 * interrupts off. */
#include "loader/guest_boot.h"
#include "drivers/cpufeat.h"
#include "exit/mtrr.h"
#include "kernel/bootinfo.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "kernel/x86.h"
#include "mm/mm.h"
#include "vdev/vacpi.h"

#define ZERO_PAGE   0x7000ull
#define CMDLINE	    0x8000ull
#define CMDLINE_MAX 4096
#define ACPI_BASE   0xe0000ull
#define ACPI_SIZE   0x20000ull

/* boot_params offsets (zero-page.rst) and setup-header offsets within it (boot.rst). */
enum {
	BP_ACPI_RSDP = 0x070,
	BP_EXT_RAMDISK_IMAGE = 0x0c0,
	BP_EXT_RAMDISK_SIZE = 0x0c4,
	BP_EXT_CMD_LINE_PTR = 0x0c8,
	BP_E820_ENTRIES = 0x1e8,
	BP_HDR = 0x1f1,
	BP_VID_MODE = 0x1fa,
	BP_TYPE_OF_LOADER = 0x210,
	BP_RAMDISK_IMAGE = 0x218,
	BP_RAMDISK_SIZE = 0x21c,
	BP_CMD_LINE_PTR = 0x228,
	BP_E820_TABLE = 0x2d0,
};

struct e820 {
	u64 addr, size;
	u32 type;
} __packed;
_Static_assert(sizeof(struct e820) == 20, "e820 entry");

static void e820_add(u8 *bp, u64 addr, u64 size, u32 type)
{
	u8 n = bp[BP_E820_ENTRIES];
	if (n == 128 || !size)
		return;
	struct e820 e = {addr, size, type};
	memcpy(bp + BP_E820_TABLE + n * sizeof(e), &e, sizeof(e));
	bp[BP_E820_ENTRIES] = (u8)(n + 1);
}

/* The protected-mode kernel's place: where it asks to be if init_size fits below limit. */
static u64 load_address(const struct linux_hdr *h, u64 limit)
{
	u64 align = h->kernel_alignment;
	if (h->pref_address + h->init_size <= limit && IS_ALIGNED(h->pref_address, align))
		return h->pref_address;
	if (!h->relocatable)
		return h->pref_address; /* it must go there; the caller reports it does not fit */
	return ALIGN_UP(1 * MiB, align);
}

static void put32(u8 *bp, u32 off, u32 v)
{
	memcpy(bp + off, &v, 4);
}

/* The initrd: as high as it fits below the top of low RAM and initrd_addr_max. */
static bool place_initrd(struct vm *vm, const struct guest_image *gi, const struct linux_hdr *h,
			 u64 kernel_end, u64 limit, u8 *bp)
{
	if (!gi->initrd)
		return true;
	u64 top = MIN(limit, (u64)h->initrd_addr_max + 1);
	u64 at = top > gi->initrd_len ? ALIGN_DOWN(top - gi->initrd_len, PAGE_SIZE) : 0;
	if (at < kernel_end) {
		log_err("vm %s: initrd %s (%llu KiB) does not fit beside the kernel; give it more "
			"mem=; not started",
			vm->name, gi->initrd_name, (gi->initrd_len / KiB));
		return false;
	}
	if (!gmem_write(&vm->mem, at, gi->initrd, gi->initrd_len))
		return false;
	put32(bp, BP_RAMDISK_IMAGE, (u32)at);
	put32(bp, BP_EXT_RAMDISK_IMAGE, (u32)(at >> 32));
	put32(bp, BP_RAMDISK_SIZE, (u32)gi->initrd_len);
	put32(bp, BP_EXT_RAMDISK_SIZE, (u32)(gi->initrd_len >> 32));
	return true;
}

/* ACPI tables at 0xe0000, for the guest's CPUs, IOAPIC and power control (vdev/vacpi.c). */
static u64 build_acpi(struct vm *vm)
{
	u8 *buf = kmalloc(PAGE_SIZE);
	struct vacpi_config cfg = {.ncpus = vm->nvcpus};
	size_t n = buf ? vacpi_build(buf, PAGE_SIZE, ACPI_BASE, &cfg) : 0;
	bool ok = n && gmem_write(&vm->mem, ACPI_BASE, buf, n);
	kfree(buf);
	return ok ? ACPI_BASE : 0;
}

bool linux_load(struct vm *vm, const struct guest_image *gi, const struct image *img,
		struct vcpu_boot_state *s)
{
	const struct linux_hdr *h = &img->lx;
	u64 pml4, gdt;
	u64 limit = guest_identity_map(vm, &pml4, &gdt);
	/* boot.rst wants __BOOT_CS at 0x10 and __BOOT_DS at 0x18: this VM's GDT says so. */
	static const u64 linux_gdt[4] = {0, 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull};
	gmem_write(&vm->mem, gdt, linux_gdt, sizeof(linux_gdt));
	u64 load = load_address(h, limit);
	u64 kernel_end = load + MAX((u64)h->init_size, h->payload_len);
	if (kernel_end > limit) {
		log_err("vm %s: %s needs RAM up to %llu MiB to boot (init_size); give it more "
			"mem=; "
			"not started",
			vm->name, gi->image_name, (ALIGN_UP(kernel_end, MiB) / MiB));
		return false;
	}
	if (!gmem_write(&vm->mem, load, gi->data + h->payload_off, h->payload_len)) {
		log_err("vm %s: cannot place the kernel at %#llx; not started", vm->name, load);
		return false;
	}

	u8 *bp = kmalloc(PAGE_SIZE);
	if (!bp) {
		log_err("vm %s: out of memory building boot_params; not started", vm->name);
		return false;
	}
	memcpy(bp + BP_HDR, gi->data + BP_HDR, h->hdr_end - BP_HDR);
	bp[BP_TYPE_OF_LOADER] = 0xff;		      /* "undefined" boot loader */
	bp[BP_VID_MODE] = bp[BP_VID_MODE + 1] = 0xff; /* normal video mode */
	u64 rsdp = build_acpi(vm);
	memcpy(bp + BP_ACPI_RSDP, &rsdp, 8);

	size_t cmax = h->cmdline_size < CMDLINE_MAX ? (size_t)h->cmdline_size + 1 : CMDLINE_MAX;
	char *cmd = kmalloc(CMDLINE_MAX);
	bool ok = cmd && place_initrd(vm, gi, h, kernel_end, limit, bp);
	if (ok) {
		size_t len = strlcpy(cmd, vm->cmdline, cmax);
		if (len >= cmax)
			log_warn("vm %s: command line longer than this kernel takes (%zu); cut",
				 vm->name, cmax - 1);
		ok = gmem_write(&vm->mem, CMDLINE, cmd, strlen(cmd) + 1);
		put32(bp, BP_CMD_LINE_PTR, (u32)CMDLINE);
	}
	/* The VM's RAM, minus the BIOS areas, the ACPI tables and keel's page tables. */
	e820_add(bp, 0, 0x9fc00, MEM_USABLE);
	e820_add(bp, 0x9fc00, 0x400, MEM_RESERVED);
	e820_add(bp, 0xe0000, 0x20000, rsdp ? MEM_ACPI : MEM_RESERVED);
	e820_add(bp, 0x100000, limit - 0x100000, MEM_USABLE);
	e820_add(bp, limit, vm->mem.low_end - limit, MEM_RESERVED);
	if (vm->mem.size > vm->mem.low_end)
		e820_add(bp, GMEM_HIGH_BASE, vm->mem.size - vm->mem.low_end, MEM_USABLE);
	ok = ok && gmem_write(&vm->mem, ZERO_PAGE, bp, PAGE_SIZE);
	kfree(bp);
	kfree(cmd);
	if (!ok) {
		log_err("vm %s: could not write boot_params, command line or initrd; not started",
			vm->name);
		return false;
	}

	/* Long mode on the identity map, GDT selectors as boot.rst asks: CS 0x10, data 0x18. */
	guest_flat_segs(s, 0x10, 0xa9b, 0x18, 0xc93);
	s->gdtr.base = gdt;
	s->gdtr.limit = 0x1f;
	s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s->cr3 = pml4;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA | EFER_NXE;
	s->rflags = RFLAGS_FIXED;
	s->rip = load + 0x200;
	s->rsp = 0x7000;
	s->gpr[RSI] = ZERO_PAGE;
	/* keel is this guest's firmware: it leaves the MTRRs as a PC's BIOS does (Linux 6.1
	 * turns its PAT off when they are off), on every vCPU. */
	for (u32 i = 0; i < vm->nvcpus; i++)
		mtrr_firmware(&vm->vcpu[i]->msrs.mtrr, cpu_feat.phys_bits);
	log_info("vm %s: %s: Linux boot protocol %u.%02u, kernel at %#llx, entry %#llx%s%s",
		 vm->name, gi->image_name, h->version >> 8, h->version & 0xff, load, s->rip,
		 gi->initrd ? ", initrd " : "", gi->initrd ? gi->initrd_name : "");
	return true;
}
