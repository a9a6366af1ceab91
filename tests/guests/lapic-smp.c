/* Local APICs of three vCPUs talking (Intel SDM vol. 3 ch. 11), run with cpus=3: IPIs by
 * physical ID and broadcast, logical flat and cluster destinations (11.6.2.2), shorthands
 * (11.6.1), lowest priority to exactly one (11.6.2.4), NMI, INIT (the APIC back at its
 * power-on state but for its ID, 11.4.7.3) and SIPI, then the same in x2APIC mode (32-bit
 * destinations, logical IDs derived from the x2APIC ID, 11.12.10). Which vCPUs an IPI
 * reached is known without waiting on time: after each IPI the BSP sends a lower-priority
 * "fence" IPI to all, and a vCPU takes a waiting higher vector before it (11.8.3), so once
 * every fence is in, every hit is counted. Each check prints "PASS: name" or "FAIL: name:
 * saw X, want Y" (the sets are bit masks of vCPUs). */
#include "rt/ap.h"
#include "rt/apic.h"
#include "rt/msr.h"
#include "rt/trap.h"

#define NCPU	      3
#define ALL	      ((1u << NCPU) - 1)
#define VEC	      0x61 /* the IPI under test */
#define WAKE	      0x52 /* wakes an AP to run its command */
#define FENCE	      0x41 /* below VEC: taken after it */
#define APIC_TPR      0x80
#define APIC_LDR      0xd0
#define APIC_DFR      0xe0
#define MSR_APIC_BASE 0x1bu
#define X2(reg)	      (0x800u + ((reg) >> 4))
#define ICR_LOGICAL   (1u << 11)
#define ICR_LOWEST    0x100u
#define ICR_NMI	      0x400u
#define SH_ALL	      (2u << 18)
#define SH_OTHERS     (3u << 18)

enum cmd { CMD_FLAT = 1, CMD_CLUSTER, CMD_TPR, CMD_X2APIC };

static volatile u32 hits[NCPU], fences[NCPU], nmis[NCPU], ups[NCPU];
static volatile u32 ldr_at_up[NCPU], svr_at_up[NCPU], x2_id[NCPU], x2_ldr[NCPU];
static volatile u32 x2[NCPU]; /* this vCPU's APIC is in x2APIC mode: EOI by MSR */
static volatile u32 cmd[NCPU], cmd_arg[NCPU], cmd_seq[NCPU], done_seq[NCPU];
static u64 wait_ticks;

static u32 my_id(void)
{
	u32 r[4];
	cpuid(1, 0, r);
	return r[1] >> 24;
}

static void eoi(u32 id)
{
	if (x2[id])
		msr_wr(X2(APIC_EOI), 0);
	else
		apic_eoi();
}

void vec_isr(void);
void vec_isr(void)
{
	u32 id = my_id();
	__atomic_fetch_add(&hits[id], 1, __ATOMIC_RELEASE);
	eoi(id);
}
IRQ_STUB(vec_stub, vec_isr);

void fence_isr(void);
void fence_isr(void)
{
	u32 id = my_id();
	__atomic_fetch_add(&fences[id], 1, __ATOMIC_RELEASE);
	eoi(id);
}
IRQ_STUB(fence_stub, fence_isr);

void wake_isr(void);
void wake_isr(void)
{
	eoi(my_id());
}
IRQ_STUB(wake_stub, wake_isr);

void nmi_isr(void);
void nmi_isr(void)
{
	__atomic_fetch_add(&nmis[my_id()], 1, __ATOMIC_RELEASE);
}
IRQ_STUB(nmi_stub, nmi_isr);

/* "name" passes if saw == want. */
static void expect(const char *name, u64 saw, u64 want)
{
	check(saw == want, "%s: saw 0x%llx, want 0x%llx", name, (unsigned long long)saw,
	      (unsigned long long)want);
}

/* Wait (bounded by wait=, never the check itself) until *p reaches want. */
static bool wait_for(const volatile u32 *p, u32 want)
{
	u64 end = rdtsc() + wait_ticks;
	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < want)
		if (rdtsc() > end)
			return false;
	return true;
}

/* A command run by vCPU id on itself (its own APIC's registers). */
static void do_cmd(u32 id, u32 c, u32 arg)
{
	switch (c) {
	case CMD_FLAT:
		apic_write(APIC_DFR, 0xffffffff);
		apic_write(APIC_LDR, arg << 24);
		break;
	case CMD_CLUSTER:
		apic_write(APIC_DFR, 0x0fffffff);
		apic_write(APIC_LDR, arg << 24);
		break;
	case CMD_TPR:
		if (x2[id])
			msr_wr(X2(APIC_TPR), arg);
		else
			apic_write(APIC_TPR, arg);
		break;
	case CMD_X2APIC:
		msr_wr(MSR_APIC_BASE, msr_rd(MSR_APIC_BASE) | 3u << 10); /* EN, EXTD */
		x2[id] = 1;
		x2_id[id] = (u32)msr_rd(X2(APIC_ID));
		x2_ldr[id] = (u32)msr_rd(X2(APIC_LDR));
		break;
	default: break;
	}
}

/* An AP: what INIT left of its APIC, then enabled; it sleeps and runs the BSP's commands. */
static void ap_run(void)
{
	u32 id = my_id();
	x2[id] = 0;
	ldr_at_up[id] = apic_read(APIC_LDR);
	svr_at_up[id] = apic_read(APIC_SVR);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	__atomic_fetch_add(&ups[id], 1, __ATOMIC_RELEASE);
	for (;;) {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		u32 seq = __atomic_load_n(&cmd_seq[id], __ATOMIC_ACQUIRE);
		if (seq != done_seq[id]) {
			do_cmd(id, cmd[id], cmd_arg[id]);
			__atomic_store_n(&done_seq[id], seq, __ATOMIC_RELEASE);
		}
	}
}

/* Send an IPI from the BSP: in its mode's format (dest: xAPIC 8 bits, x2APIC 32). */
static void send(u32 dest, u32 lo)
{
	if (x2[0]) {
		msr_wr(X2(APIC_ICR_LO), (u64)dest << 32 | lo);
	} else {
		apic_write(APIC_ICR_HI, dest << 24);
		apic_write(APIC_ICR_LO, lo);
	}
}

/* Have vCPU id run a command (the BSP itself, or an AP woken by an IPI). */
static void command(u32 id, enum cmd c, u32 arg)
{
	if (!id) {
		do_cmd(0, c, arg);
		return;
	}
	cmd[id] = c, cmd_arg[id] = arg;
	u32 seq = __atomic_add_fetch(&cmd_seq[id], 1, __ATOMIC_RELEASE);
	send(id, APIC_ICR_FIXED | WAKE);
	check(wait_for(&done_seq[id], seq), "vCPU %u ran command %u", id, c);
}

/* The vCPUs one IPI reached (a mask), known once a fence IPI to all is taken by all. */
static u32 reached(u32 dest, u32 lo)
{
	u32 before[NCPU], fenced[NCPU], got = 0;
	for (u32 i = 0; i < NCPU; i++)
		before[i] = hits[i], fenced[i] = fences[i];
	send(dest, lo);
	send(0, SH_ALL | APIC_ICR_FIXED | FENCE);
	__asm__ volatile("sti; nop; nop; nop; cli" ::: "memory");
	for (u32 i = 0; i < NCPU; i++) {
		if (!wait_for(&fences[i], fenced[i] + 1))
			check(false, "vCPU %u took no fence IPI", i);
		got |= (hits[i] != before[i]) << i;
	}
	return got;
}

/* xAPIC destinations: physical, broadcast, shorthands, flat, cluster, lowest priority. */
static void xapic_checks(void)
{
	const u32 fixed = APIC_ICR_FIXED | VEC;
	expect("physical ID 2", reached(2, fixed), 1u << 2);
	expect("physical ID 1", reached(1, fixed), 1u << 1);
	expect("physical broadcast 0xff", reached(0xff, fixed), ALL);
	expect("shorthand all including self", reached(0, SH_ALL | fixed), ALL);
	expect("shorthand all excluding self", reached(0, SH_OTHERS | fixed), ALL & ~1u);
	for (u32 i = 0; i < NCPU; i++)
		command(i, CMD_FLAT, 1u << i);
	expect("logical flat 0x06", reached(0x06, ICR_LOGICAL | fixed), 0x6);
	expect("logical flat 0x04", reached(0x04, ICR_LOGICAL | fixed), 0x4);
	expect("logical flat 0x08 (nobody)", reached(0x08, ICR_LOGICAL | fixed), 0);
	command(1, CMD_TPR, 0x20);
	expect("lowest priority 0x06: the lower TPR alone",
	       reached(0x06, ICR_LOGICAL | APIC_ICR_FIXED | ICR_LOWEST | VEC), 0x4);
	command(1, CMD_TPR, 0);
	command(0, CMD_CLUSTER, 0x11);
	command(1, CMD_CLUSTER, 0x12);
	command(2, CMD_CLUSTER, 0x21);
	expect("logical cluster 1, bits 0-1", reached(0x13, ICR_LOGICAL | fixed), 0x3);
	expect("logical cluster 2, bit 0", reached(0x21, ICR_LOGICAL | fixed), 0x4);
	expect("logical cluster 2, bit 1 (nobody)", reached(0x22, ICR_LOGICAL | fixed), 0);
	expect("logical cluster 3, bit 0 (nobody)", reached(0x31, ICR_LOGICAL | fixed), 0);
}

/* NMI to one AP; INIT and SIPI to another, whose APIC is then at power-on (11.4.7.3). */
static void nmi_init_checks(void)
{
	send(1, APIC_ICR_FIXED | ICR_NMI);
	check(wait_for(&nmis[1], 1), "NMI IPI reached vCPU 1");
	reached(0, SH_ALL | APIC_ICR_FIXED | VEC);
	expect("NMI reached vCPU 1 alone",
	       (nmis[0] ? 1 : 0) | (nmis[1] ? 2 : 0) | (nmis[2] ? 4 : 0), 2);
	ap_start(2, ap_run); /* INIT, SIPI, SIPI again: vCPU 2 starts over */
	check(wait_for(&ups[2], 2), "vCPU 2 started again after INIT and SIPI");
	expect("after INIT: LDR at power-on", ldr_at_up[2], 0);
	expect("after INIT: SVR at power-on", svr_at_up[2], 0xff);
	expect("after INIT: physical ID 2 still reaches it", reached(2, APIC_ICR_FIXED | VEC), 0x4);
}

/* x2APIC mode on every vCPU: IDs, logical IDs, 32-bit destinations (11.12.9-10). */
static void x2apic_checks(void)
{
	const u32 fixed = APIC_ICR_FIXED | VEC;
	for (u32 i = NCPU; i-- > 0;)
		command(i, CMD_X2APIC, 0);
	msr_wr(X2(APIC_SVR), 0x1ff);
	for (u32 i = 0; i < NCPU; i++) {
		expect("x2APIC ID is the vCPU's", x2_id[i], i);
		expect("x2APIC LDR: cluster 0, bit of the ID", x2_ldr[i], 1u << i);
	}
	expect("x2APIC physical 2", reached(2, fixed), 0x4);
	expect("x2APIC physical 0xff (nobody)", reached(0xff, fixed), 0);
	expect("x2APIC broadcast 0xffffffff", reached(0xffffffff, fixed), ALL);
	expect("x2APIC logical cluster 0, bits 1-2", reached(0x6, ICR_LOGICAL | fixed), 0x6);
	expect("x2APIC logical cluster 0, bit 0", reached(0x1, ICR_LOGICAL | fixed), 0x1);
	expect("x2APIC logical cluster 1 (nobody)", reached(0x10007, ICR_LOGICAL | fixed), 0);
	expect("x2APIC shorthand all excluding self", reached(0, SH_OTHERS | fixed), 0x6);
	send(2, APIC_ICR_FIXED | ICR_NMI);
	check(wait_for(&nmis[2], 1), "x2APIC NMI IPI reached vCPU 2");
}

int guest_main(void)
{
	wait_ticks = cmdline_num("wait", 2000) * tsc_khz();
	printf("lapic-smp: %d-bit guest\n", (int)sizeof(void *) * 8);
	trap_init();
	trap_set_gate(VEC, vec_stub, 0);
	trap_set_gate(FENCE, fence_stub, 0);
	trap_set_gate(WAKE, wake_stub, 0);
	trap_set_gate(2, nmi_stub, 0);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	for (u32 id = 1; id < NCPU; id++) {
		ap_start(id, ap_run);
		if (!check(wait_for(&ups[id], 1), "vCPU %u up", id))
			return check_done();
	}
	xapic_checks();
	nmi_init_checks();
	x2apic_checks();
	return check_done();
}
