/* Ends its VM the way a PC can, by end= on its command line: cf9 (reset control port), kbd
 * (keyboard controller pulse), port92 (fast reset), acpi (S5 through PM1a_CNT) or halt (HLT
 * with interrupts off). It counts its boots in RAM outside its image, which a restart keeps:
 * with boots=N it ends the VM that way N times, then exits 0. */
#include "rt/rt.h"

#define MAGIC 0x6b65656cu

int guest_main(void)
{
	volatile u32 *mark = (volatile u32 *)(uintptr_t)0x300000; /* 3 MiB: past the image */
	u32 boots = mark[0] == MAGIC ? mark[1] + 1 : 1;
	mark[0] = MAGIC;
	mark[1] = boots;
	printf("ends: boot %u\n", boots);
	if (boots > cmdline_num("boots", 1)) {
		printf("ends: done\n");
		return 0;
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
