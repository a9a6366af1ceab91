/* Loading a guest image into its VM and building the state its first vCPU starts in:
 *
 * - ELF64: long mode at the entry point, on identity page tables (2 MiB pages, covering 4 GiB
 *   and all RAM) that keel writes with a GDT at the top of low RAM; RSP just below them; RBX
 *   points at a multiboot v1 information structure and RAX holds its magic, as below.
 * - multiboot v1: 32-bit protected mode, paging off, flat segments, EAX = 0x2BADB002 and EBX
 *   pointing at the information (memory, command line, modules, memory map), as QEMU's
 *   -kernel enters it. The information and any modules are placed after the image.
 * - flat: real mode at 0000:7c00 with DL = 0x80, like a boot sector.
 */
#include "loader/guest_boot.h"
#include "boot/multiboot.h"
#include "kernel/bootinfo.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "kernel/x86.h"
#include "mm/mm.h"

/* The guest GDT keel writes: selectors used in the boot states below. */
#define GSEL_CODE64 0x08
#define GSEL_DATA   0x10
#define GSEL_CODE32 0x18
static const u64 guest_gdt[4] = {
	0, 0x00af9b000000ffffull, /* 64-bit code */
	0x00cf93000000ffffull,	  /* flat data */
	0x00cf9b000000ffffull,	  /* flat 32-bit code */
};

/* Hidden segment state in the VMCB attribute layout (see struct seg). */
#define ATTR_CODE64 0xa9b
#define ATTR_CODE32 0xc9b
#define ATTR_DATA32 0xc93
#define ATTR_CODE16 0x09b
#define ATTR_DATA16 0x093
#define ATTR_TSS    0x08b /* busy 32/64-bit TSS */
#define ATTR_LDT    0x082

#define INFO_SIZE (4 * PAGE_SIZE) /* multiboot information area, modules' strings included */

void guest_flat_segs(struct vcpu_boot_state *s, u16 code_sel, u16 code_attr, u16 data_sel,
		     u16 data_attr)
{
	struct seg code = {code_sel, code_attr, 0xffffffffu, 0};
	struct seg data = {data_sel, data_attr, 0xffffffffu, 0};
	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = (struct seg){0, ATTR_TSS, 0x67, 0};
	s->ldtr = (struct seg){0, ATTR_LDT, 0xffff, 0};
}

/* Where the next page-aligned thing after the image and its modules goes. */
static u64 after(u64 addr)
{
	return ALIGN_UP(addr, PAGE_SIZE);
}

/* Place the modules after the image, then the multiboot information; return its address. */
static bool build_mbi(struct vm *vm, const struct image *img, const struct guest_image *gi,
		      u64 limit, u64 *mbi_out, u64 *gdt_out)
{
	u64 next = after(img->hi);
	u64 mods_pa[GUEST_MAX_MODULES][2];
	for (int i = 0; i < gi->nmods; i++) {
		mods_pa[i][0] = next;
		mods_pa[i][1] = next + gi->mods[i].len;
		if (mods_pa[i][1] > limit ||
		    !gmem_write(&vm->mem, next, gi->mods[i].data, gi->mods[i].len)) {
			log_err("vm %s: module %s does not fit in the VM's memory", vm->name,
				gi->mods[i].name);
			return false;
		}
		next = after(mods_pa[i][1]);
	}
	u64 base = next;
	if (base + INFO_SIZE > limit) {
		log_err("vm %s: no room for the boot information after the image; give it more "
			"mem=",
			vm->name);
		return false;
	}
	u8 *buf = kmalloc(INFO_SIZE);
	if (!buf)
		return false;
	/* Layout: info at 0, memory map at 0x80, GDT at 0x180, module list at 0x200, loader
	 * name at 0x300, command line at 0x400, module strings from 0xc00. */
	struct mb1_info *mi = (struct mb1_info *)buf;
	struct mb1_mmap_entry *mm = (struct mb1_mmap_entry *)(buf + 0x80);
	int n = 0;
	mm[n++] = (struct mb1_mmap_entry){20, 0, 0x9fc00, MEM_USABLE};
	mm[n++] = (struct mb1_mmap_entry){20, 0x9fc00, 0x400, MEM_RESERVED};
	mm[n++] = (struct mb1_mmap_entry){20, 0xf0000, 0x10000, MEM_RESERVED};
	mm[n++] = (struct mb1_mmap_entry){20, 0x100000, limit - 0x100000, MEM_USABLE};
	if (limit < vm->mem.low_end)
		mm[n++] = (struct mb1_mmap_entry){20, limit, vm->mem.low_end - limit, MEM_RESERVED};
	if (vm->mem.size > vm->mem.low_end)
		mm[n++] = (struct mb1_mmap_entry){20, GMEM_HIGH_BASE,
						  vm->mem.size - vm->mem.low_end, MEM_USABLE};
	memcpy(buf + 0x180, guest_gdt, sizeof(guest_gdt));
	strlcpy((char *)buf + 0x300, "keel", 0x100);
	fmt_snprintf((char *)buf + 0x400, 0x800, "%s%s%s", gi->image_name,
		     vm->cmdline[0] ? " " : "", vm->cmdline);
	struct mb1_module *mods = (struct mb1_module *)(buf + 0x200);
	u32 str = 0xc00;
	for (int i = 0; i < gi->nmods; i++) {
		size_t l = strlen(gi->mods[i].string) + 1;
		if (str + l > INFO_SIZE)
			l = 1;
		memcpy(buf + str, gi->mods[i].string, l);
		buf[str + l - 1] = '\0';
		mods[i] = (struct mb1_module){(u32)mods_pa[i][0], (u32)mods_pa[i][1],
					      (u32)(base + str), 0};
		str += (u32)l;
	}
	*mi = (struct mb1_info){
		.flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP |
			 MB1_INFO_LOADER,
		.mem_lower = 639,
		.mem_upper = (u32)((limit - 0x100000) / KiB),
		.cmdline = (u32)(base + 0x400),
		.mods_count = (u32)gi->nmods,
		.mods_addr = (u32)(base + 0x200),
		.mmap_length = (u32)(n * (int)sizeof(*mm)),
		.mmap_addr = (u32)(base + 0x80),
		.boot_loader_name = (u32)(base + 0x300),
	};
	bool ok = gmem_write(&vm->mem, base, buf, INFO_SIZE);
	kfree(buf);
	*mbi_out = base;
	*gdt_out = base + 0x180;
	return ok;
}

u64 guest_identity_map(struct vm *vm, u64 *pml4_out, u64 *gdt_out)
{
	u64 ngib = MAX(4ull, ALIGN_UP(gmem_top(&vm->mem), GiB) / GiB);
	if (ngib > 512)
		ngib = 512;
	u64 pages = 3 + ngib; /* GDT, PML4, PDPT, one PD per GiB */
	u64 base = vm->mem.low_end - pages * PAGE_SIZE;
	u64 gdt = base, pml4 = base + PAGE_SIZE, pdpt = base + 2 * PAGE_SIZE;
	u64 e;
	gmem_zero(&vm->mem, base, pages * PAGE_SIZE);
	gmem_write(&vm->mem, gdt, guest_gdt, sizeof(guest_gdt));
	e = pdpt | 3; /* present, writable */
	gmem_write(&vm->mem, pml4, &e, 8);
	for (u64 g = 0; g < ngib; g++) {
		u64 pd = base + (3 + g) * PAGE_SIZE;
		e = pd | 3;
		gmem_write(&vm->mem, pdpt + 8 * g, &e, 8);
		for (u64 i = 0; i < 512; i++) {
			e = (g * GiB + i * 2 * MiB) | 0x83; /* present, writable, 2 MiB page */
			gmem_write(&vm->mem, pd + 8 * i, &e, 8);
		}
	}
	*pml4_out = pml4;
	*gdt_out = gdt;
	return base;
}

static bool load_segments(struct vm *vm, const struct image *img, const u8 *data, u64 limit)
{
	if (img->hi > limit) {
		log_err("vm %s: the image needs memory up to %#llx but the VM has RAM to %#llx; "
			"give it more mem=; not started",
			vm->name, img->hi, limit);
		return false;
	}
	for (int i = 0; i < img->nsegs; i++) {
		const struct image_seg *s = &img->seg[i];
		if (!gmem_write(&vm->mem, s->gpa, data + s->off, s->filesz) ||
		    !gmem_zero(&vm->mem, s->gpa + s->filesz, s->memsz - s->filesz))
			return false;
	}
	return true;
}

bool guest_load(struct vm *vm, const struct guest_image *gi, struct vcpu_boot_state *s)
{
	struct image img;
	memset(s, 0, sizeof(*s));
	if (!image_parse(gi->data, gi->len, &img)) {
		log_err("vm %s: %s: %s; not started", vm->name, gi->image_name, img.error);
		return false;
	}
	u64 limit = vm->mem.low_end, mbi, gdt, pml4 = 0;
	s->rflags = RFLAGS_FIXED;
	switch (img.kind) {
	case IMAGE_ELF64:
		limit = guest_identity_map(vm, &pml4, &gdt);
		if (!load_segments(vm, &img, gi->data, limit) ||
		    !build_mbi(vm, &img, gi, limit, &mbi, &gdt))
			return false;
		guest_flat_segs(s, GSEL_CODE64, ATTR_CODE64, GSEL_DATA, ATTR_DATA32);
		s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
		s->cr3 = pml4;
		s->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
		s->efer = EFER_LME | EFER_LMA | EFER_NXE;
		s->rsp = limit;
		break;
	case IMAGE_MULTIBOOT:
		if (!load_segments(vm, &img, gi->data, limit) ||
		    !build_mbi(vm, &img, gi, limit, &mbi, &gdt))
			return false;
		guest_flat_segs(s, GSEL_CODE32, ATTR_CODE32, GSEL_DATA, ATTR_DATA32);
		s->cr0 = CR0_PE | CR0_ET;
		s->rsp = 0x7000;
		break;
	case IMAGE_FLAT:
		if (!load_segments(vm, &img, gi->data, limit))
			return false;
		s->cs = (struct seg){0, ATTR_CODE16, 0xffff, 0};
		s->ds = s->es = s->fs = s->gs = s->ss = (struct seg){0, ATTR_DATA16, 0xffff, 0};
		s->tr = (struct seg){0, ATTR_TSS, 0xffff, 0};
		s->ldtr = (struct seg){0, ATTR_LDT, 0xffff, 0};
		s->idtr.limit = 0x3ff; /* the real-mode interrupt vector table at 0 */
		s->cr0 = CR0_ET;
		s->rsp = FLAT_LOAD;
		s->gpr[RDX] = 0x80; /* boot drive, as a BIOS passes it */
		s->rip = img.entry;
		log_info("vm %s: %s: %s image, %llu bytes at %#llx", vm->name, gi->image_name,
			 image_kind_names[img.kind], gi->len, img.entry);
		return true;
	case IMAGE_LINUX: return linux_load(vm, gi, &img, s);
	}
	s->gdtr.base = gdt;
	s->gdtr.limit = sizeof(guest_gdt) - 1;
	s->rip = img.entry;
	s->gpr[RAX] = MB1_BOOTLOADER_MAGIC;
	s->gpr[RBX] = mbi;
	log_info("vm %s: %s: %s image at %#llx-%#llx, entry %#llx", vm->name, gi->image_name,
		 image_kind_names[img.kind], img.lo, img.hi, img.entry);
	return true;
}
