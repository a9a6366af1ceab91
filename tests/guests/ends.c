/* Ends its VM the way a PC can, by end= on its command line: cf9 (reset control port), kbd
 * (keyboard controller pulse), port92 (fast reset), acpi (S5 through PM1a_CNT) or halt (HLT
 * with interrupts off). It counts its boots in CMOS RAM, which a reset keeps (as a PC's
 * battery does): with boots=N it ends the VM that way N times, then exits 0. With
 * on_reset=restart each boot also checks that RAM was cleared (a marker low and one high in
 * RAM, written by the boot before) and prints its command line and its modules' strings,
 * which must not change from one boot to the next. */
#include "rt/rt.h"

#define MAGIC	  0x6b65656cu
#define CMOS_MARK 0x7e /* two bytes of CMOS RAM that keel's firmware part leaves alone */

struct mb_module {
	u32 start, end, string, reserved;
};

static u8 cmos(u8 i)
{
	outb(0x70, i);
	return inb(0x71);
}

static void cmos_set(u8 i, u8 v)
{
	outb(0x70, i);
	outb(0x71, v);
}

/* RAM the loader leaves alone: page 1, and 1 MiB below the top (above the image and its
 * modules, below the page tables and the stack of a 64-bit guest). */
static volatile u32 *marker(int high)
{
	u32 top = 0x100000 + boot_mbi->mem_upper * 1024;
	return (volatile u32 *)(uintptr_t)(high ? top - 0x100000 : 0x1000);
}

/* What must be the same at every boot: the command line and the modules' strings. */
static void show_boot(void)
{
	printf("ends: cmdline '%s'\n", cmdline());
	const struct mb_module *m = (const struct mb_module *)(uintptr_t)boot_mbi->mods_addr;
	for (u32 i = 0; (boot_mbi->flags & 8) && i < boot_mbi->mods_count; i++)
		printf("ends: module %u '%s', %u bytes%s\n", i,
		       (const char *)(uintptr_t)m[i].string, m[i].end - m[i].start,
		       m[i].reserved ? ", reserved field set" : "");
}

int guest_main(void)
{
	u32 boots = cmos(CMOS_MARK) == 0x4b ? cmos(CMOS_MARK + 1) + 1u : 1u;
	cmos_set(CMOS_MARK, 0x4b);
	cmos_set(CMOS_MARK + 1, (u8)boots);
	printf("ends: boot %u\n", boots);
	if (cmdline_has("restart=1")) {
		show_boot();
		if (boots > 1)
			check(*marker(0) != MAGIC && *marker(1) != MAGIC,
			      "boot %u: RAM cleared (markers 0x%x 0x%x)", boots, *marker(0),
			      *marker(1));
		*marker(0) = *marker(1) = MAGIC;
	}
	if (boots > cmdline_num("boots", 1)) {
		printf("ends: done\n");
		return check_done();
	}
	if (cmdline_has("end=cf9"))
		outb(0xcf9, 0x06);
	else if (cmdline_has("end=kbd"))
		outb(0x64, 0xfe);
	else if (cmdline_has("end=port92"))
		outb(0x92, 0x01);
	else if (cmdline_has("end=acpi"))
		outw(0x604, 0x2000); /* SLP_TYP 0 (the DSDT's \_S5), SLP_EN */
	else if (cmdline_has("end=halt"))
		__asm__ volatile("cli; hlt");
	printf("ends: still here\n");
	return 1;
}
