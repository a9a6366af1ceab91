/* keel's IDT and its exception report. An exception in keel is a keel bug: report everything
 * that helps find it, then end the run with a failure status. */
#include "kernel/trap.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/x86.h"

/* Push order in isr.S: r15 is pushed last, so it sits at offset 0. */
_Static_assert(offsetof(struct trap_frame, r15) == 0, "isr.S pushes r15 last");
_Static_assert(offsetof(struct trap_frame, rax) == 14 * 8, "isr.S pushes rax first");
_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "stub pushes the vector");
_Static_assert(offsetof(struct trap_frame, rip) == 17 * 8, "CPU frame after the error code");

struct idt_gate {
	u16 off_lo, sel;
	u8 ist, type;
	u16 off_mid;
	u32 off_hi, zero;
} __packed;
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

static struct idt_gate idt[256] __aligned(16);
static irq_handler_t handlers[256];
extern const u8 isr_stubs[];

static const char *const exc_names[32] = {
	"divide error",
	"debug",
	"NMI",
	"breakpoint",
	"overflow",
	"bound range",
	"invalid opcode",
	"device not available",
	"double fault",
	"coprocessor overrun",
	"invalid TSS",
	"segment not present",
	"stack fault",
	"general protection",
	"page fault",
	"reserved",
	"x87 error",
	"alignment check",
	"machine check",
	"SIMD error",
	"virtualisation exception",
	"control protection",
};

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		u64 a = (u64)(uintptr_t)(isr_stubs + 16 * v);
		u8 ist = v == X86_DF ? IST_DF : (v == X86_NMI || v == X86_MC) ? IST_NMI : 0;
		idt[v] = (struct idt_gate){
			.off_lo = (u16)a,
			.sel = 0x08,
			.ist = ist,
			.type = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
			.off_mid = (u16)(a >> 16),
			.off_hi = (u32)(a >> 32),
		};
	}
}

void idt_load(void)
{
	struct {
		u16 limit;
		u64 base;
	} __packed idtr = {sizeof(idt) - 1, (u64)(uintptr_t)idt};
	__asm__ volatile("lidt %0" ::"m"(idtr));
}

u64 idt_base(void)
{
	return (u64)(uintptr_t)idt;
}

void irq_register(u8 vector, irq_handler_t h)
{
	handlers[vector] = h;
}

/* Follow saved frame pointers while they look like keel stack addresses. */
void backtrace(u64 rbp)
{
	log_err("backtrace (addr2line -e build/keel.elf ADDR):");
	for (int depth = 0; depth < 16 && rbp; depth++) {
		if (rbp % 8 || rbp < 0x100000 || rbp > 0x100000000000ull)
			break;
		const u64 *fp = (const u64 *)(uintptr_t)rbp;
		if (!fp[1])
			break;
		log_err("  #%d %#llx", depth, fp[1]);
		if (fp[0] <= rbp)
			break; /* frames grow upwards; anything else is a broken chain */
		rbp = fp[0];
	}
}

void trap_report(const struct trap_frame *f)
{
	const char *name = f->vector < 32 && exc_names[f->vector] ? exc_names[f->vector] : "?";
	log_err("exception %llu (%s), error code %#llx, on CPU %u", f->vector, name, f->error,
		this_cpu()->id);
	log_err("rip %016llx cs %04llx rflags %016llx rsp %016llx ss %04llx", f->rip, f->cs,
		f->rflags, f->rsp, f->ss);
	log_err("rax %016llx rbx %016llx rcx %016llx rdx %016llx", f->rax, f->rbx, f->rcx, f->rdx);
	log_err("rsi %016llx rdi %016llx rbp %016llx r8  %016llx", f->rsi, f->rdi, f->rbp, f->r8);
	log_err("r9  %016llx r10 %016llx r11 %016llx r12 %016llx", f->r9, f->r10, f->r11, f->r12);
	log_err("r13 %016llx r14 %016llx r15 %016llx", f->r13, f->r14, f->r15);
	log_err("cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %016llx", read_cr0(),
		read_cr2(), read_cr3(), read_cr4(), rdmsr(MSR_EFER));
	log_err("fault at %#llx", f->rip);
	backtrace(f->rbp);
}

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	irq_handler_t h = handlers[f->vector];
	if (h) {
		h(f);
		return;
	}
	if (f->vector == VEC_SPURIOUS)
		return;
	log_break_lock();
	trap_report(f);
	panic_end_run();
}
