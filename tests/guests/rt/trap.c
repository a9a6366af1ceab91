/* The test guests' IDT and exception handler (see trap.h); the stubs are in trap32.S and
 * trap64.S. */
#include "trap.h"

volatile u32 trap_vector = TRAP_NONE;
volatile uintptr_t trap_error;

/* One IDT entry (SDM 6.11 for 32-bit, 6.14.1 for 64-bit gates). */
#if defined(__x86_64__)
struct gate {
	u16 off0, sel;
	u8 ist, type;
	u16 off1;
	u32 off2, rsvd;
};
_Static_assert(sizeof(struct gate) == 16, "64-bit gate");
#else
struct gate {
	u16 off0, sel;
	u8 zero, type;
	u16 off1;
};
_Static_assert(sizeof(struct gate) == 8, "32-bit gate");
#endif

static struct gate idt[256] __attribute__((aligned(16)));
extern void (*const trap_stubs[32])(void);
/* From the linker script: pairs of (faulting instruction, fixup) addresses. */
extern const u32 __extable_start[], __extable_end[];

void trap_handler(struct trap_frame *f);

void trap_set_gate(unsigned vec, void (*fn)(void), unsigned dpl)
{
	u16 cs;
	uintptr_t a = (uintptr_t)fn;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	/* present, DPL, 32/64-bit interrupt gate (interrupts stay off in the handler) */
	idt[vec & 0xff] = (struct gate){.off0 = (u16)a,
					.sel = cs,
					.type = (u8)(0x8e | (dpl & 3) << 5),
					.off1 = (u16)(a >> 16)};
#if defined(__x86_64__)
	idt[vec & 0xff].off2 = (u32)(a >> 32);
#endif
}

void trap_init(void)
{
	for (unsigned i = 0; i < 32; i++)
		trap_set_gate(i, trap_stubs[i], 0);
	struct {
		u16 limit;
		uintptr_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uintptr_t)idt};
	__asm__ volatile("lidt %0" ::"m"(idtr));
}

/* Called by the stubs: resume at the fixup of a listed instruction, or report and exit. */
void trap_handler(struct trap_frame *f)
{
	size_t n = ((uintptr_t)__extable_end - (uintptr_t)__extable_start) / sizeof(u32);
	for (size_t i = 0; i + 1 < n; i += 2) {
		const u32 *e = &__extable_start[i];
		if (e[0] == f->ip) {
			trap_vector = (u32)f->vector;
			trap_error = f->error;
			f->ip = e[1];
			return;
		}
	}
	printf("FAIL: unexpected exception %u (error 0x%llx) at ip %p\n", (u32)f->vector,
	       (unsigned long long)f->error, (void *)f->ip);
	exit(1);
}
