/* The local APIC: requests, priorities and EOI, the timer, and save and load of a busy one (a
 * running periodic timer, requests in IRR and ISR, one of them level-triggered); its MSRs:
 * IA32_APIC_BASE and the modes it switches (SDM vol. 3 11.12.5), the x2APIC registers
 * (11.12.1), IA32_TSC_DEADLINE (11.5.4.1), and save and load of an x2APIC with a TSC deadline
 * armed. This test links the real vlapic*.c. */
#include "tests/unit/fakes_vdev.h"
#include "vdev/vlapic.h"
#include "vdev/vrecord.h"

#include <string.h>

static struct vm *vm;

/* Registers are per vCPU and take no device lock: the ops are called as the bus calls them. */
static u32 rd(u32 off)
{
	return (u32)vlapic_ops.read(vm->vcpu[0], fake_dev.lapic, VLAPIC_BASE + off, 4);
}

static void wr(u32 off, u32 val)
{
	vlapic_ops.write(vm->vcpu[0], fake_dev.lapic, VLAPIC_BASE + off, 4, val);
}

/* RDMSR on vCPU 0: the value, or -1 for #GP (as a u64 no register reads here). */
static u64 x2_rd(u32 msr)
{
	u64 val;
	return vlapic_rdmsr(vm->vcpu[0], msr, &val) ? ~0ull : val;
}

static int x2_wr(u32 msr, u64 val)
{
	return vlapic_wrmsr(vm->vcpu[0], msr, val);
}

/* What keel would inject into vCPU 0 now, taken (acknowledged) if take. */
static int inject(bool take)
{
	int vec = vm->irqc->pending(vm->vcpu[0]);
	return take && vec >= 0 ? vm->irqc->ack(vm->vcpu[0], vec) : vec;
}

static void fresh(struct vm *v)
{
	assert_true(vlapic_ops.attach(v, fake_dev.lapic));
	vlapic_ops.reset(v, fake_dev.lapic);
}

static int setup(void **state)
{
	(void)state;
	fake_khz = 3000000;
	vm = fake_vm(2, 64 * MiB);
	fresh(vm);
	return 0;
}

static void test_priority_and_eoi(void **state)
{
	(void)state;
	wr(0xf0, 0x1ff);
	vlapic_deliver(vm->vcpu[0], 0x50, false);
	vlapic_deliver(vm->vcpu[0], 0x61, false);
	assert_int_equal(inject(true), 0x61);
	assert_int_equal(inject(false), -1); /* 0x50 is below the in-service class */
	wr(0xb0, 0);
	assert_int_equal(inject(true), 0x50);
	wr(0x80, 0x60); /* TPR */
	vlapic_deliver(vm->vcpu[0], 0x55, false);
	assert_int_equal(rd(0xa0), 0x60); /* PPR */
	assert_int_equal(inject(false), -1);
}

static void test_oneshot_timer(void **state)
{
	(void)state;
	wr(0xf0, 0x1ff);
	wr(0x320, 0x40);   /* one-shot, vector 0x40 */
	wr(0x3e0, 0xb);	   /* divide by 1 */
	wr(0x380, 100000); /* 1 ms at 100 MHz */
	assert_int_equal(fake_deadline(0, &fake_dev.lapic[0], fake_now), fake_us(1000));
	fake_advance(fake_us(500));
	assert_int_equal(rd(0x390), 50000);
	fake_advance(fake_us(500));
	assert_int_equal(inject(false), 0x40);
	assert_int_equal(rd(0x390), 0);
	assert_int_equal(fake_deadline(0, &fake_dev.lapic[0], 0), 0);
}

/* ---- save and load ---- */

/* What the APIC does from now on: every register, the timer's count and deadline, what is
 * injected, EOIs, as time goes by and the timer fires. */
static void watch(struct fake_trace *t)
{
	u64 start = fake_now;
	for (int step = 0; step < 16; step++) {
		for (u32 off = 0x20; off < 0x400; off += 0x10)
			fake_note(t, rd(off));
		fake_note(t, fake_deadline(0, &fake_dev.lapic[0], start));
		fake_note(t, (u64)inject(step % 2 == 1));
		if (step % 3 == 2)
			wr(0xb0, 0); /* EOI */
		if (step == 9)
			wr(0x320, 0x40); /* the timer one-shot from its next expiry */
		fake_advance(fake_us(3000) + (u64)step);
	}
}

/* Enabled, TPR 0x20, logical ID set; a periodic timer (16 ms) 5 ms into its count; 0x61
 * (level) in service and 0x50 and 0x71 requested; LINT1 as NMI, the ICR last used. */
static void busy(void)
{
	wr(0xf0, 0x1ff);
	wr(0x80, 0x20);
	wr(0xd0, 0x01000000);
	wr(0x350, 0x00000400); /* LINT1: NMI */
	wr(0x320, 0x20040);    /* periodic, vector 0x40 */
	wr(0x3e0, 0x3);	       /* divide by 16 */
	wr(0x380, 100000);
	fake_advance(fake_us(5000));
	vlapic_deliver(vm->vcpu[0], 0x61, true);
	assert_int_equal(inject(true), 0x61);
	vlapic_deliver(vm->vcpu[0], 0x50, false);
	vlapic_deliver(vm->vcpu[0], 0x71, false);
	wr(0x310, 0x01000000);
	wr(0x300, 0x000c00f3); /* a fixed IPI to the others */
}

static void test_save_load(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	u64 len = fake_save_load(vlapic_save, vlapic_load, &fake_dev.lapic[0], rec, watch, fresh,
				 5000);
	assert_int_equal(len, 16 + 200);
	assert_string_equal(vlapic_load(vm, &fake_dev.lapic[2], fake_now, rec, len),
			    "no vCPU for this local APIC");
}

/* Damaged records are refused and change nothing; so is a requested vector below 16 and a
 * timer period longer than any count gives. */
static void test_load_refusals(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	u64 len = vlapic_save(&fake_dev.lapic[0], fake_now, rec, sizeof(rec));
	vm = fake_vm(2, 64 * MiB);
	fresh(vm);
	size_t size = sizeof(fake_dev.lapic[0]);
	fake_refusals(vlapic_load, &fake_dev.lapic[0], size, rec, len, 16 + 0x40, 0x01);
	fake_refusals(vlapic_load, &fake_dev.lapic[0], size, rec, len, 16 + 0xaf, 0x7f);
	fake_refusals(vlapic_load, &fake_dev.lapic[0], size, rec, len, 16 + 0xc0, 0x02);
	assert_int_equal(fake_deadline(0, &fake_dev.lapic[0], 0), 0);
}

/* Records with random payload bytes changed are refused or, if taken, leave an APIC that
 * runs without undefined behaviour (UBSan and ASan watch): registers, injection, the timer. */
static void test_damaged_records_are_safe(void **state)
{
	(void)state;
	static u8 good[VREC_MAX], rec[VREC_MAX];
	u32 seed = 777, taken = 0;
	busy();
	u64 len = vlapic_save(&fake_dev.lapic[0], fake_now, good, sizeof(good));
	for (int i = 0; i < 1000; i++) {
		vm = fake_vm(2, 64 * MiB);
		fresh(vm);
		memcpy(rec, good, len);
		for (int n = 0; n < 1 + i % 3; n++) {
			seed = seed * 1103515245 + 12345;
			rec[16 + (seed >> 8) % (len - 16)] = (u8)(seed >> 20);
		}
		if (vlapic_load(vm, &fake_dev.lapic[0], fake_now, rec, len))
			continue;
		taken++;
		for (int k = 0; k < 4; k++) {
			rd(0x390), rd(0xa0), inject(true), wr(0xb0, 0);
			fake_advance(fake_us(20000));
		}
	}
	assert_true(taken > 0);
}

/* ---- the MSRs: IA32_APIC_BASE and the modes, x2APIC, TSC deadline ---- */

/* EN and EXTD: disabled <-> xAPIC -> x2APIC -> disabled; the illegal ones #GP; the BSP flag
 * on vCPU 0 only; disabling loses the registers and the requests. */
static void test_base_modes(void **state)
{
	(void)state;
	struct vcpu *v = vm->vcpu[0];
	assert_int_equal(vlapic_base(v), 0xfee00900);
	assert_int_equal(vlapic_base(vm->vcpu[1]), 0xfee00800);
	wr(0xf0, 0x1ff);
	wr(0x80, 0x30);
	vlapic_deliver(v, 0x50, false);
	assert_int_equal(vlapic_set_base(v, 0xfee00400), -1); /* EN=0 EXTD=1 */
	assert_int_equal(vlapic_set_base(v, 0xfee00a00), -1); /* reserved bit 9 */
	assert_int_equal(vlapic_set_base(v, 0xfee00001), -1); /* reserved bit 0 */
	assert_int_equal(vlapic_set_base(v, 0xfee00100), 0);  /* disable (BSP flag ignored) */
	assert_int_equal(vlapic_base(v), 0xfee00100);
	assert_int_equal(rd(0x80), 0xffffffff); /* the page does not answer */
	wr(0xf0, 0x1ff);			/* nor take writes */
	vlapic_deliver(v, 0x60, false);
	assert_int_equal(inject(false), -1);
	assert_int_equal(vlapic_set_base(v, 0xfee00c00), -1); /* disabled -> x2APIC */
	assert_int_equal(vlapic_set_base(v, 0xfee00800), 0);
	assert_int_equal(rd(0x80), 0);	  /* TPR at reset */
	assert_int_equal(rd(0xf0), 0xff); /* software-disabled at reset */
	assert_int_equal(rd(0x200 + 0x20), 0);
	assert_int_equal(rd(0x20), 0);
	assert_int_equal(vlapic_set_base(v, 0xfee00c00), 0);
	assert_int_equal(vlapic_base(v), 0xfee00d00);
	assert_int_equal(vlapic_set_base(v, 0xfee00800), -1); /* x2APIC -> xAPIC */
	assert_int_equal(vlapic_set_base(v, 0x12340c00), 0);  /* another base: ignored */
	assert_int_equal(vlapic_base(v), 0xfee00d00);
	assert_int_equal(vlapic_set_base(v, 0xfee00000), 0);
	assert_int_equal(vlapic_base(v), 0xfee00100);
}

/* The x2APIC registers: only in x2APIC mode; read-only, write-only and reserved ones #GP, as
 * do reserved bits; ID and LDR from the vCPU's index; the MMIO page is silent. */
static void test_x2apic_registers(void **state)
{
	(void)state;
	assert_int_equal(x2_rd(0x808), ~0ull); /* xAPIC mode: #GP */
	assert_int_equal(x2_wr(0x808, 0), -1);
	assert_int_equal(vlapic_set_base(vm->vcpu[1], 0xfee00c00), 0);
	assert_int_equal(vlapic_set_base(vm->vcpu[0], 0xfee00c00), 0);
	assert_int_equal(rd(0x30), 0xffffffff);
	assert_int_equal(x2_rd(0x802), 0);
	assert_int_equal(x2_rd(0x80d), 1);
	u64 ldr1;
	assert_int_equal(vlapic_rdmsr(vm->vcpu[1], 0x80d, &ldr1), 0);
	assert_int_equal(ldr1, 2);
	assert_int_equal(x2_rd(0x803), 0x00050014);
	assert_int_equal(x2_wr(0x802, 0), -1);	   /* ID read-only */
	assert_int_equal(x2_wr(0x80d, 1), -1);	   /* LDR read-only */
	assert_int_equal(x2_rd(0x80e), ~0ull);	   /* no DFR */
	assert_int_equal(x2_rd(0x809), ~0ull);	   /* no APR */
	assert_int_equal(x2_rd(0x831), ~0ull);	   /* no ICR high */
	assert_int_equal(x2_rd(0x80b), ~0ull);	   /* EOI write-only */
	assert_int_equal(x2_wr(0x80b, 1), -1);	   /* EOI of non-zero */
	assert_int_equal(x2_rd(0x83f), ~0ull);	   /* SELF IPI write-only */
	assert_int_equal(x2_wr(0x808, 0x100), -1); /* TPR bit 8 reserved */
	assert_int_equal(x2_wr(0x80f, 1ull << 32), -1);
	assert_int_equal(x2_wr(0x808, 0x20), 0);
	assert_int_equal(vlapic_tpr(vm->vcpu[0]), 0x20);
	assert_int_equal(x2_rd(0x80a), 0x20); /* PPR */
	assert_int_equal(x2_wr(0x80f, 0x1ff), 0);
	assert_int_equal(x2_wr(0x83f, 0x55), 0); /* SELF IPI */
	assert_int_equal(inject(true), 0x55);
	assert_int_equal(x2_rd(0x810 + 2), 1u << (0x55 - 64)); /* ISR */
	assert_int_equal(x2_wr(0x80b, 0), 0);
	assert_int_equal(x2_rd(0x810 + 2), 0);
	/* An IPI to x2APIC ID 1, physical, then logical (cluster 0, bit 1). */
	assert_int_equal(vlapic_wrmsr(vm->vcpu[1], 0x80f, 0x1ff), 0);
	assert_int_equal(x2_wr(0x830, (1ull << 32) | 0x66), 0);
	assert_int_equal(x2_rd(0x830), (1ull << 32) | 0x66);
	assert_int_equal(x2_wr(0x830, (2ull << 32) | 0x800 | 0x67), 0);
	assert_int_equal(x2_wr(0x830, (1ull << 32) | 0x1000), -1); /* bit 12 reserved */
	u64 irr;
	assert_int_equal(vlapic_rdmsr(vm->vcpu[1], 0x820 + 3, &irr), 0);
	assert_int_equal(irr, 3u << 6);
}

/* TSC-deadline mode: armed in the guest's TSC, fires once and reads 0; a write of 0 disarms;
 * the initial count is ignored; other modes ignore the MSR; leaving the mode disarms. */
static void test_tsc_deadline(void **state)
{
	(void)state;
	struct vcpu *v = vm->vcpu[0];
	struct vlapic *l = &fake_dev.lapic[0];
	v->tsc_offset = 123456789;
	wr(0xf0, 0x1ff);
	assert_int_equal(x2_wr(0x6e0, fake_now + 5), 0); /* one-shot mode: ignored */
	assert_int_equal(x2_rd(0x6e0), 0);
	wr(0x320, 0x40040); /* TSC-deadline, vector 0x40 */
	u64 at = fake_now + v->tsc_offset + fake_us(100);
	assert_int_equal(x2_wr(0x6e0, at), 0);
	assert_int_equal(x2_rd(0x6e0), at);
	assert_int_equal(fake_deadline(0, l, fake_now), fake_us(100));
	wr(0x380, 1000); /* ignored */
	assert_int_equal(rd(0x380), 0);
	assert_int_equal(rd(0x390), 0);
	fake_advance(fake_us(99));
	assert_int_equal(inject(false), -1);
	fake_advance(fake_us(1));
	assert_int_equal(inject(true), 0x40);
	assert_int_equal(x2_rd(0x6e0), 0);
	wr(0xb0, 0);
	assert_int_equal(x2_wr(0x6e0, 1), 0); /* long past: fires at once */
	fake_advance(1);
	assert_int_equal(inject(true), 0x40);
	wr(0xb0, 0);
	assert_int_equal(x2_wr(0x6e0, at + fake_us(1000)), 0);
	assert_int_equal(x2_wr(0x6e0, 0), 0);
	assert_int_equal(fake_deadline(0, l, 0), 0);
	assert_int_equal(x2_wr(0x6e0, at + fake_us(1000)), 0);
	v->tsc_offset += fake_us(400); /* a TSC write: the deadline is 400 us nearer */
	vlapic_tsc_changed(v);
	assert_int_equal(fake_deadline(0, l, fake_now),
			 at + fake_us(1000) - fake_now - v->tsc_offset);
	assert_int_equal(x2_wr(0x6e0, ~0ull), 0); /* the end of time: armed, years away */
	assert_int_equal(fake_deadline(0, l, fake_now), VREC_TIME_MAX);
	assert_int_equal(x2_rd(0x6e0), ~0ull);
	wr(0x320, 0x40); /* one-shot again: disarmed */
	assert_int_equal(fake_deadline(0, l, 0), 0);
	assert_int_equal(x2_rd(0x6e0), 0);
}

/* Save and load an x2APIC with a deadline 2 ms away: it fires 2 ms after the load. */
static void test_save_load_deadline(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	struct vcpu *v = vm->vcpu[0];
	assert_int_equal(vlapic_set_base(v, 0xfee00c00), 0);
	assert_int_equal(x2_wr(0x80f, 0x1ff), 0);
	assert_int_equal(x2_wr(0x832, 0x40041), 0);
	u64 at = fake_now + v->tsc_offset + fake_us(2000);
	assert_int_equal(x2_wr(0x6e0, at), 0);
	u64 len = vlapic_save(&fake_dev.lapic[0], fake_now, rec, sizeof(rec));
	assert_int_equal(len, 16 + 200);
	vm = fake_vm(2, 64 * MiB);
	fresh(vm);
	fake_now += fake_us(7000);
	assert_null(vlapic_load(vm, &fake_dev.lapic[0], fake_now, rec, len));
	assert_int_equal(vlapic_base(vm->vcpu[0]), 0xfee00d00);
	assert_int_equal(x2_rd(0x6e0), at);
	assert_int_equal(fake_deadline(0, &fake_dev.lapic[0], fake_now), fake_us(2000));
	fake_advance(fake_us(2000));
	assert_int_equal(inject(true), 0x41);
	rec[16 + 0xb0] = 3; /* no such mode */
	assert_non_null(vlapic_load(vm, &fake_dev.lapic[0], fake_now, rec, len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_priority_and_eoi, setup),
		cmocka_unit_test_setup(test_oneshot_timer, setup),
		cmocka_unit_test_setup(test_save_load, setup),
		cmocka_unit_test_setup(test_load_refusals, setup),
		cmocka_unit_test_setup(test_damaged_records_are_safe, setup),
		cmocka_unit_test_setup(test_base_modes, setup),
		cmocka_unit_test_setup(test_x2apic_registers, setup),
		cmocka_unit_test_setup(test_tsc_deadline, setup),
		cmocka_unit_test_setup(test_save_load_deadline, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
