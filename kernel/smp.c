/* SMP bring-up: the boot CPU copies kernel/trampoline.S to a free low page and starts each AP
 * with INIT-SIPI-SIPI (SDM vol. 3 8.4.4.1); the AP builds its per-CPU state, then waits for
 * the boot CPU to enable virtualisation everywhere and start the scheduler. */
#include "kernel/smp.h"
#include "kernel/trampoline.h"
#include "drivers/acpi.h"
#include "drivers/lapic.h"
#include "drivers/timer.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "vm/cpustate.h"
#include "vm/sched.h"
#include "vm/virt.h"
#include "kernel/x86.h"
#include "mm/mm.h"

extern const u8 trampoline_start[], trampoline_end[], trampoline_pm32[], trampoline_lm64[];

static volatile int phase;     /* 0: wait, 1: enable virtualisation, 2: schedule */
static volatile u32 virt_done; /* APs that finished phase 1 */
static u64 tramp;	       /* the trampoline page */

void cpu_setup(void)
{
	/* keel never uses x87 or SSE itself, but saves and restores guests' with XSAVE (FXSAVE
	 * without it): the FPU must be on (no EM, no TS) and FXSAVE must cover the XMM registers
	 * (CR4.OSFXSR); CR4.OSXSAVE and XCR0 are cpustate_cpu_init's. */
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	cpustate_cpu_init();
}

static volatile u32 *alive(void)
{
	return (volatile u32 *)phys_to_virt(tramp + TRAMP_ALIVE);
}

void ap_entry(u32 id);
void ap_entry(u32 id)
{
	struct cpu *c = &cpus[id];
	percpu_init(id);
	gdt_init(c, stack_alloc(1), stack_alloc(1)); /* double-fault and NMI stacks */
	cpu_setup();
	lapic_init();
	c->apic_id = lapic_id();
	c->online = true;
	__atomic_store_n(alive(), 1, __ATOMIC_RELEASE);
	while (phase < 1)
		cpu_relax();
	if (!virt->cpu_enable(c)) {
		log_err("smp: CPU %u could not enable %s; left out", id, virt->name);
		c->online = false;
		__atomic_fetch_add(&virt_done, 1, __ATOMIC_RELEASE);
		for (;;)
			hlt();
	}
	__atomic_fetch_add(&virt_done, 1, __ATOMIC_RELEASE);
	while (phase < 2)
		cpu_relax();
	sched_loop();
}

/* Fill the trampoline's parameter block (kernel/trampoline.h). */
static void prepare(void)
{
	u8 *t = phys_to_virt(tramp);
	size_t len = (size_t)((uintptr_t)trampoline_end - (uintptr_t)trampoline_start);
	memcpy(t, trampoline_start, len);
	static const u64 gdt[4] = {
		0, 0x00af9b000000ffffull, /* 0x08: 64-bit code */
		0x00cf93000000ffffull,	  /* 0x10: flat data */
		0x00cf9b000000ffffull,	  /* 0x18: flat 32-bit code */
	};
	memcpy(t + TRAMP_GDT, gdt, sizeof(gdt));
	*(u16 *)(t + TRAMP_GDTR) = sizeof(gdt) - 1;
	*(u32 *)(t + TRAMP_GDTR + 2) = (u32)(tramp + TRAMP_GDT);
	*(u32 *)(t + TRAMP_PM_PTR) = (u32)(tramp + (uintptr_t)trampoline_pm32);
	*(u16 *)(t + TRAMP_PM_PTR + 4) = 0x18;
	*(u32 *)(t + TRAMP_LM_PTR) = (u32)(tramp + (uintptr_t)trampoline_lm64);
	*(u16 *)(t + TRAMP_LM_PTR + 4) = 0x08;
	*(u64 *)(t + TRAMP_CR3) = read_cr3();
	*(u64 *)(t + TRAMP_EFER) = EFER_LME | (rdmsr(MSR_EFER) & EFER_NXE);
	*(u64 *)(t + TRAMP_ENTRY) = (u64)(uintptr_t)ap_entry;
}

/* Start one AP; true once it runs keel's code. */
static bool start_ap(u32 id, u32 apic_id)
{
	u8 *t = phys_to_virt(tramp);
	u64 stack = stack_alloc(4);
	if (!stack)
		return false;
	*(u64 *)(t + TRAMP_STACK) = stack;
	*(u32 *)(t + TRAMP_CPU) = id;
	*alive() = 0;
	lapic_send_ipi(apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	ref_delay_us(10000);
	lapic_send_ipi(apic_id, ICR_INIT | ICR_LEVEL); /* de-assert (ignored by newer CPUs) */
	for (int sipi = 0; sipi < 2 && !__atomic_load_n(alive(), __ATOMIC_ACQUIRE); sipi++) {
		lapic_send_ipi(apic_id, ICR_SIPI | (u32)(tramp >> PAGE_SHIFT));
		ref_delay_us(200);
	}
	for (int ms = 0; ms < 200 && !__atomic_load_n(alive(), __ATOMIC_ACQUIRE); ms++)
		ref_delay_us(1000);
	return *alive();
}

u32 smp_start(void)
{
	cpus[0].apic_id = lapic_id();
	cpus[0].online = true;
	if (acpi.ncpus <= 1)
		return ncpus;
	tramp = mm_low_page();
	if (!tramp || read_cr3() >> 32) {
		log_warn("smp: no free page below 1 MiB for the AP start-up code; using one CPU");
		return ncpus;
	}
	mm_set_exec(tramp);
	prepare();
	for (int i = 0; i < acpi.ncpus; i++) {
		u32 apic = acpi.cpu[i].apic_id;
		if (apic == cpus[0].apic_id || !acpi.cpu[i].enabled)
			continue;
		if (ncpus == MAX_CPUS) {
			log_warn("smp: more than %d CPUs; the rest left out", MAX_CPUS);
			break;
		}
		if (start_ap(ncpus, apic))
			ncpus++;
		else
			log_err("smp: CPU with APIC id %u did not start; left out", apic);
	}
	log_info("smp: %u CPU%s online", ncpus, ncpus == 1 ? "" : "s");
	return ncpus;
}

void smp_enable_virt(void)
{
	phase = 1;
	u32 want = ncpus - 1;
	for (int ms = 0; ms < 5000 && __atomic_load_n(&virt_done, __ATOMIC_ACQUIRE) < want; ms++)
		ref_delay_us(1000);
}

void smp_go(void)
{
	__atomic_store_n(&phase, 2, __ATOMIC_RELEASE);
}
