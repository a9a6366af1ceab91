/* A triple fault on purpose: with an empty IDT (limit 0) the #UD of UD2 cannot be delivered,
 * nor the #GP that raises, nor the double fault after it: the CPU shuts down. keel must stop
 * this VM alone (README "A triple fault stops only that VM"). */
#include "rt/rt.h"

extern const char triple_ud2[]; /* the faulting instruction, defined in the asm below */

int guest_main(void)
{
	struct {
		u16 limit;
		uintptr_t base;
	} __attribute__((packed)) idtr = {0, 0};
	printf("triple: loading an empty IDT, then ud2 at %p\n", (const void *)triple_ud2);
	__asm__ volatile("lidt %0\n.globl triple_ud2\ntriple_ud2: ud2" ::"m"(idtr));
	printf("FAIL: still running after the triple fault\n");
	return 1;
}
