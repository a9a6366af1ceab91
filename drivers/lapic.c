/* Local APIC driver. Registers are MMIO at the APIC base in xAPIC mode and MSRs 0x800 + reg/16
 * in x2APIC mode (SDM 11.12.1); keel uses x2APIC whenever CPUID offers it. */
#include "drivers/lapic.h"
#include "drivers/cpufeat.h"
#include "drivers/timer.h"
#include "kernel/log.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "mm/mm.h"

#define REG_ID	      0x020
#define REG_TPR	      0x080
#define REG_EOI	      0x0b0
#define REG_SVR	      0x0f0
#define REG_ICR_LO    0x300
#define REG_ICR_HI    0x310
#define REG_LVT_TMR   0x320
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define REG_LVT_ERR   0x370
#define REG_TMR_INIT  0x380
#define REG_TMR_CUR   0x390
#define REG_TMR_DIV   0x3e0

#define APIC_BASE_X2APIC BIT(10)
#define APIC_BASE_ENABLE BIT(11)
#define LVT_MASKED	 BIT(16)

u64 lapic_timer_khz;
static bool x2;
static u64 mmio;

static u32 rd(u32 reg)
{
	if (x2)
		return (u32)rdmsr(0x800 + (reg >> 4));
	return *(volatile u32 *)(uintptr_t)(mmio + reg);
}

static void wr(u32 reg, u32 v)
{
	if (x2)
		wrmsr(0x800 + (reg >> 4), v);
	else
		*(volatile u32 *)(uintptr_t)(mmio + reg) = v;
}

void lapic_init(void)
{
	u64 base = rdmsr(MSR_APIC_BASE);
	x2 = cpu_feat.x2apic;
	mmio = base & ~0xfffull & ((1ull << 52) - 1);
	base |= APIC_BASE_ENABLE;
	if (x2)
		base |= APIC_BASE_X2APIC;
	else
		mm_map_device(mmio, PAGE_SIZE);
	wrmsr(MSR_APIC_BASE, base);
	wr(REG_SVR, 0x100 | VEC_SPURIOUS); /* software enable, spurious vector */
	wr(REG_TPR, 0);
	wr(REG_LVT_TMR, LVT_MASKED);
	wr(REG_LVT_LINT0, LVT_MASKED);
	wr(REG_LVT_LINT1, LVT_MASKED);
	wr(REG_LVT_ERR, LVT_MASKED);
	wr(REG_TMR_DIV, 0x3); /* divide by 16 */
}

void lapic_calibrate(void)
{
	wr(REG_LVT_TMR, LVT_MASKED);
	wr(REG_TMR_INIT, 0xffffffffu);
	ref_delay_us(10000);
	u32 left = rd(REG_TMR_CUR);
	wr(REG_TMR_INIT, 0);
	lapic_timer_khz = (0xffffffffull - left) / 10;
	if (!lapic_timer_khz)
		lapic_timer_khz = 1;
	log_info("lapic: %s mode, id %u, timer %llu kHz", x2 ? "x2APIC" : "xAPIC", lapic_id(),
		 lapic_timer_khz);
}

u32 lapic_id(void)
{
	return x2 ? rd(REG_ID) : rd(REG_ID) >> 24;
}

bool lapic_x2apic(void)
{
	return x2;
}

void lapic_eoi(void)
{
	wr(REG_EOI, 0);
}

void lapic_timer_oneshot(u8 vector, u64 us)
{
	if (!us) {
		wr(REG_TMR_INIT, 0);
		return;
	}
	u64 ticks = us * lapic_timer_khz / 1000;
	if (ticks > 0xffffffffu)
		ticks = 0xffffffffu;
	if (!ticks)
		ticks = 1;
	wr(REG_LVT_TMR, vector); /* one-shot, unmasked */
	wr(REG_TMR_INIT, (u32)ticks);
}

void lapic_send_ipi(u32 apic_id, u32 mode_vector)
{
	if (x2) {
		wrmsr(0x800 + (REG_ICR_LO >> 4), (u64)apic_id << 32 | mode_vector);
		return;
	}
	wr(REG_ICR_HI, apic_id << 24);
	wr(REG_ICR_LO, mode_vector);
	for (int i = 0; i < 1000000 && (rd(REG_ICR_LO) & BIT(12)); i++) /* delivery status */
		cpu_relax();
}
