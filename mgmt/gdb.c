/* keel's gdb stub (README "Debugging a guest"): gdb's remote serial protocol (gdb manual,
 * appendix "GDB Remote Serial Protocol") on a UART of its own (gdb=), in all-stop mode, one
 * VM at a time (the first, or monitor vm NAME), its vCPUs as threads. Runs on CPU 0 from the
 * console's poll. This file: the connection, attach and detach, stops and resumes, and the
 * queries about the session; mgmt/gdb_cmd.c reads and writes the stopped VM. */
#include "mgmt/mgmt.h"
#include "mgmt/gdb_int.h"
#include "drivers/timer.h"
#include "drivers/uart.h"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "kernel/x86.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "vm/vmctl.h"

static struct {
	struct uart u;
	bool on;
	bool noack;	    /* QStartNoAckMode accepted */
	bool owe_stop;	    /* a stop reply is due when the VM stops ('?', c, s, vCont) */
	bool owe_ok;	    /* monitor vm: its OK is due when the new VM stops */
	bool warned;	    /* the last attach failed, and said why */
	bool left;	    /* gdb detached: its last '+' (for D's OK) is no new connection */
	bool settling;	    /* the stop is known (an attach to a paused VM): wait for vm_settled */
	enum dbg_stop stop; /* the last stop, for '?' */
	u64 stop_addr;
	enum dbg_hw_kind stop_kind;
	struct gdb_rx rx;
	char out[2 * GDB_PKT_MAX + 8]; /* the last packet sent, for a '-' */
	u32 olen;
	bool xon;   /* gdb_flow=xon */
	u32 xon_at; /* rx.tail when the last XON went out */
} st;

/* Received bytes, filled by fill() (the poll, and whenever any UART's output waits). */
#define RX 8192
static struct {
	struct spinlock lock;
	u8 buf[RX];
	volatile u32 head, tail;
} rx;

static void fill(void)
{
	u64 flags;
	if (!spin_trylock_irq(&rx.lock, &flags))
		return;
	int c;
	while (rx.head - rx.tail < RX && (c = uart_recv(&st.u)) >= 0)
		rx.buf[rx.head++ % RX] = (u8)c;
	spin_unlock_irq(&rx.lock, flags);
}

/* Frame and send gdb.reply (Remote Protocol, "Overview"). */
static void send_reply(void)
{
	st.olen = gdb_frame(st.out, sizeof(st.out), gdb.reply, gdb.rlen);
	uart_send(&st.u, st.out, st.olen);
	gdb.rlen = 0;
}

/* A reply of its own (a stop reply or monitor output while another is being built). */
static void send_text(const char *s)
{
	u32 keep = gdb.rlen;
	char saved[64];
	memcpy(saved, gdb.reply, keep < sizeof(saved) ? keep : sizeof(saved));
	gdb.rlen = 0;
	gdb_put(s);
	send_reply();
	memcpy(gdb.reply, saved, keep < sizeof(saved) ? keep : sizeof(saved));
	gdb.rlen = keep < sizeof(saved) ? keep : 0;
}

/* Monitor output: an 'O' packet of hex text (Remote Protocol, "Stop Reply Packets"). */
static void say(const char *fmt, ...) __printf(1, 2);
static void say(const char *fmt, ...)
{
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	u32 keep = gdb.rlen;
	gdb.rlen = 0;
	gdb_put("O");
	gdb_put_hex(text, (u32)strlen(text));
	send_reply();
	gdb.rlen = 0;
	(void)keep;
}

/* The stop reply for the last stop ("Stop Reply Packets"): T02 for an interrupt, T05 with
 * swbreak, hwbreak or watch for gdb's own, W with the exit status once the VM ended. */
static void stop_text(char *r, u32 size)
{
	static const char *const watch[] = {[DBG_HW_WRITE] = "watch",
					    [DBG_HW_READ] = "rwatch",
					    [DBG_HW_ACCESS] = "awatch",
					    [DBG_HW_EXEC] = "hwbreak"};
	u32 t = gdb.g_vcpu + 1;
	if (st.stop == DBG_STOP_ENDED)
		fmt_snprintf(r, size, "W%02llx", gdb.vm ? gdb.vm->status & 0xff : 0);
	else if (st.stop == DBG_STOP_INTERRUPT || st.stop == DBG_STOP_NONE)
		fmt_snprintf(r, size, "T02thread:%x;", t);
	else if (st.stop == DBG_STOP_SWBREAK)
		fmt_snprintf(r, size, "T05thread:%x;swbreak:;", t);
	else if (st.stop == DBG_STOP_HWBREAK)
		fmt_snprintf(r, size, "T05thread:%x;hwbreak:;", t);
	else if (st.stop == DBG_STOP_WATCH)
		fmt_snprintf(r, size, "T05thread:%x;%s:%llx;", t, watch[st.stop_kind],
			     st.stop_addr);
	else
		fmt_snprintf(r, size, "T05thread:%x;", t);
}

/* The stop reply as a packet of its own (the VM stopped after c, s or '?'). */
static void stop_reply(void)
{
	char r[96];
	stop_text(r, sizeof(r));
	send_text(r);
}

/* The stop reply as the reply to '?' (the VM is stopped already). */
static void stop_answer(void)
{
	char r[96];
	stop_text(r, sizeof(r));
	gdb_put(r);
}

/* The VM has stopped for gdb (or ended): say so if gdb waits for it. */
static void stopped(enum dbg_stop why, u32 vcpu)
{
	st.stop = why;
	gdb.stopped = why != DBG_STOP_ENDED;
	gdb.g_vcpu = vcpu;
	if (st.owe_stop)
		stop_reply();
	if (st.owe_ok)
		send_text("OK");
	st.owe_stop = st.owe_ok = false;
	if (why == DBG_STOP_ENDED && gdb.attached) {
		dbg_detach(gdb.vm);
		gdb.attached = false;
		st.left = true; /* the '+' for W attaches no other VM; a new packet may */
	}
}

/* CPU 0's poll: has the VM stopped since gdb let it run? */
static void watch_stop(void)
{
	u32 vcpu = 0;
	if (!gdb.attached || gdb.stopped)
		return;
	if (st.settling) {
		if (vm_settled(gdb.vm)) {
			st.settling = false;
			stopped(DBG_STOP_INTERRUPT, 0);
		}
		return;
	}
	enum dbg_stop s = dbg_poll(gdb.vm, &vcpu, &st.stop_addr, &st.stop_kind);
	if (s != DBG_STOP_NONE)
		stopped(s, vcpu < gdb.vm->nvcpus ? vcpu : 0);
}

/* Take vm for gdb, stopped before the next instruction: a gdb=wait VM starts paused (its
 * first instruction waits for gdb), a paused one stays so, a running one is interrupted.
 * NULL, or why not. */
static const char *attach(struct vm *vm)
{
	if (vm->state != VM_RUNNING && !(vm->state == VM_CREATED && vm->debug_wait))
		return vm->state == VM_CREATED ? "it waits for vm-start" : "it has ended";
	if (!dbg_attach(vm))
		return "no memory for its debugger";
	gdb.vm = vm;
	gdb.attached = true;
	gdb.stopped = false;
	gdb.g_vcpu = 0;
	gdb.c_vcpu = -1;
	st.stop = DBG_STOP_NONE;
	if (vm->state == VM_CREATED) {
		__atomic_store_n(&vm->paused, true, __ATOMIC_RELEASE);
		vm_start(vm);
		log_info("gdb: vm %s starts for gdb, stopped before its first instruction",
			 vm->name);
		st.settling = true;
	} else if (vm_is_paused(vm)) {
		st.settling = true;
	} else {
		const char *why = dbg_interrupt(vm);
		st.settling = why != NULL; /* it cannot be interrupted: it is paused already */
	}
	log_info("gdb: debugging vm %s", vm->name);
	return NULL;
}

/* Let go of the VM: every breakpoint out, and it runs on (it was stopped for gdb only). */
static void detach(void)
{
	if (!gdb.attached)
		return;
	struct vm *vm = gdb.vm;
	dbg_detach(vm);
	if (vm_is_paused(vm)) /* by gdb, or by a stop on its way (vm_pause_request) */
		vm_resume(vm);
	gdb.attached = gdb.stopped = false;
	st.settling = st.owe_stop = st.owe_ok = false;
	log_info("gdb: vm %s detached; it runs on", vm->name);
}

static bool debuggable(const struct vm *vm)
{
	return vm->state == VM_RUNNING || (vm->state == VM_CREATED && vm->debug_wait);
}

/* The first VM that can be debugged: gdb's default. */
static struct vm *first_vm(void)
{
	for (struct vm *vm = vm_list; vm; vm = vm->next)
		if (debuggable(vm))
			return vm;
	return NULL;
}

/* A new connection's first packet: attach to the VM gdb last chose, else (none, or it has
 * ended) the first that can be debugged. */
static void connect(void)
{
	if (gdb.attached)
		return;
	struct vm *vm = gdb.vm && gdb.vm->state != VM_DESTROYED ? gdb.vm : NULL;
	if (!vm || !debuggable(vm))
		vm = first_vm() ? first_vm() : vm;
	const char *why = vm ? attach(vm) : "there is none";
	if (why && !st.warned) /* once: gdb's every '+' asks again */
		log_warn("gdb: cannot debug vm %s: %s", vm ? vm->name : "-", why);
	st.warned = why != NULL;
}

/* c, s, C, S, vCont: the VM runs until its next stop; step (if not NULL) executes one
 * instruction first. The stop reply comes from the poll. */
static void resume(struct vcpu *step)
{
	if (!gdb.attached || !gdb.stopped) {
		gdb_put_err(1);
		return;
	}
	gdb.stopped = false;
	st.owe_stop = true;
	dbg_resume(gdb.vm, step);
}

/* The vCPU a step without a thread steps: Hc's, else the one that stopped. */
static struct vcpu *step_vcpu(s32 t)
{
	u32 i = t >= 0 ? (u32)t : gdb.c_vcpu >= 0 ? (u32)gdb.c_vcpu : gdb.g_vcpu;
	return gdb.vm->vcpu[i < gdb.vm->nvcpus ? i : 0];
}

/* vCont;ACTION[:TID]... (Remote Protocol, "vCont"): keel resumes the whole VM, so only which
 * vCPU steps matters; c and C (signal ignored) continue, s and S step. */
static void vcont(const char *p, const char *end)
{
	s32 step = -2;
	u64 t, sig;
	while (p + 1 < end && *p == ';') {
		char a = p[1];
		if (a != 'c' && a != 'C' && a != 's' && a != 'S')
			break; /* 't' and 'r' are not offered */
		p += 2;
		if ((a == 'C' || a == 'S') && !gdb_hex_u64(&p, end, &sig))
			break;
		t = 0;
		if (p < end && *p == ':') {
			p++;
			if (end - p >= 2 && p[0] == '-' && p[1] == '1')
				p += 2;
			else if (!gdb_hex_u64(&p, end, &t))
				break;
		}
		if ((a == 's' || a == 'S') && step == -2)
			step = t ? (s32)t - 1 : -1;
	}
	if (p != end) {
		gdb_put_err(22);
		return;
	}
	resume(step == -2 ? NULL : step_vcpu(step));
}

/* monitor vms: every VM, the debugged one marked. */
static void mon_vms(void)
{
	static const char *const states[] = {"created", "running", "stopped", "destroyed"};
	for (struct vm *vm = vm_list; vm; vm = vm->next)
		say("%c %s %s%s\n", vm == gdb.vm && gdb.attached ? '*' : ' ', vm->name,
		    states[vm->state], vm_is_paused(vm) ? " (paused)" : "");
}

/* monitor vm NAME: the old VM runs on without gdb, the new one stops for it. True if the
 * reply waits for that stop. gdb's cached registers are stale after it (maintenance flush
 * register-cache). */
static bool mon_vm(const char *name)
{
	struct vm *vm = vm_list; /* a destroyed VM's name may be a live one's again */
	while (vm && (strcmp(vm->name, name) || vm->state == VM_DESTROYED))
		vm = vm->next;
	if (!vm || vm == gdb.vm) {
		say(vm ? "already debugging vm %s\n" : "no vm %s\n", name);
		return false;
	}
	struct vm *old = gdb.vm;
	detach();
	const char *why = attach(vm);
	if (why) {
		say("cannot debug vm %s: %s\n", name, why);
		why = old ? attach(old) : "none";
	} else {
		say("debugging vm %s; flush gdb's register cache\n", name);
	}
	st.owe_ok = !why;
	return !why;
}

/* qRcmd,HEX: gdb's monitor command (Remote Protocol, "General Query Packets"). Output goes out
 * as 'O' packets, then OK; false for an empty reply (unknown). */
static void monitor(const char *p, const char *end)
{
	char cmd[128];
	u32 n = (u32)(end - p) / 2;
	if ((end - p) % 2 || n >= sizeof(cmd) || !gdb_hex_get(cmd, p, n)) {
		gdb_put_err(22);
		return;
	}
	cmd[n] = '\0';
	if (!strcmp(cmd, "vms")) {
		mon_vms();
	} else if (!strncmp(cmd, "vm ", 3)) {
		if (mon_vm(cmd + 3))
			return; /* OK when the VM stops */
	} else if (!strcmp(cmd, "phys on") || !strcmp(cmd, "phys off")) {
		gdb.phys = cmd[6] == 'n';
		say("memory by guest-%s address\n", gdb.phys ? "physical" : "virtual");
	} else if (!strcmp(cmd, "help")) {
		say("vms: list the VMs (* the one debugged)\n"
		    "vm NAME: debug VM NAME instead (the other runs on)\n"
		    "phys on|off: m/M/X by guest-physical or virtual address\n");
	} else {
		say("unknown command '%s' (monitor help)\n", cmd);
	}
	gdb_put("OK");
}

/* qSupported: what keel's stub does (Remote Protocol, "General Query Packets"). A new gdb
 * sends it first, with acks on. */
static void supported(void)
{
	char r[160];
	st.noack = false;
	fmt_snprintf(r, sizeof(r),
		     "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;"
		     "QStartNoAckMode+",
		     GDB_PKT_MAX);
	gdb_put(r);
}

/* D and k: keel never kills a VM for gdb; both leave it running. */
static void leave(bool kill)
{
	if (kill && gdb.attached)
		log_info("gdb: k: keel does not end a VM for gdb; detaching instead");
	detach();
	st.left = true;
	if (!kill)
		gdb_put("OK");
}

static bool is(const char *p, u32 n, const char *s)
{
	return n == strlen(s) && !memcmp(p, s, n);
}

static bool starts(const char *p, u32 n, const char *s)
{
	return n >= strlen(s) && !memcmp(p, s, strlen(s));
}

/* The packets about the session; false if p is none of them. */
static bool session_cmd(const char *p, u32 n)
{
	const char *end = p + n;
	if (starts(p, n, "qSupported"))
		supported();
	else if (is(p, n, "QStartNoAckMode"))
		gdb_put("OK");
	else if (is(p, n, "?") && gdb.attached && !gdb.stopped)
		st.owe_stop = true;
	else if (is(p, n, "?") && (gdb.attached || st.stop == DBG_STOP_ENDED))
		stop_answer();
	else if (is(p, n, "?"))
		gdb_put_err(1);
	else if (is(p, n, "qAttached") || starts(p, n, "qAttached:"))
		gdb_put("1");
	else if (starts(p, n, "qRcmd,"))
		monitor(p + 6, end);
	else if (is(p, n, "vCont?"))
		gdb_put("vCont;c;C;s;S");
	else if (starts(p, n, "vCont;"))
		vcont(p + 5, end);
	else if (p[0] == 'c' || p[0] == 'C')
		resume(NULL); /* an address or signal after it is ignored */
	else if (p[0] == 's' || p[0] == 'S')
		resume(step_vcpu(-1));
	else if (p[0] == 'D' || p[0] == 'k')
		leave(p[0] == 'k');
	else
		return false;
	return true;
}

static void interrupt(void);

/* qSupported: a gdb that (re)connected. One that went away while the VM ran left a stop owed
 * to nobody: the VM stops for the new one, whose '?' then has its answer. */
static void new_client(void)
{
	st.owe_stop = st.owe_ok = false;
	interrupt();
}

/* One packet from gdb: its reply (empty for what keel does not know), unless it waits for a
 * stop. */
static void packet(const char *p, u32 n)
{
	st.left = false;
	if (starts(p, n, "qSupported"))
		new_client();
	else if (!gdb.attached)
		connect();
	gdb.rlen = 0;
	bool owed = st.owe_stop || st.owe_ok;
	if (!n || (!session_cmd(p, n) && !gdb_cmd(p, n)))
		gdb.rlen = 0; /* unknown: the empty reply */
	if (!owed && (st.owe_stop || st.owe_ok) && !gdb.rlen)
		return; /* the reply is the stop (or OK) to come */
	if (p[0] == 'k')
		return; /* k has no reply */
	send_reply();
	if (is(p, n, "QStartNoAckMode"))
		st.noack = true; /* from the next packet on (its own OK was acknowledged) */
}

/* 0x03 (Ctrl-C): stop the VM; the stop reply comes from the poll ("Interrupts"). */
static void interrupt(void)
{
	if (!gdb.attached)
		connect();
	if (!gdb.attached || gdb.stopped || st.settling)
		return;
	const char *why = dbg_interrupt(gdb.vm);
	if (why)
		log_info("gdb: Ctrl-C: %s", why);
}

/* A byte from gdb, through the packet layer. */
static void byte_in(u8 c)
{
	switch (gdb_rx_byte(&st.rx, c)) {
	case GDB_IN_PACKET:
		/* A new gdb starts in ack mode, whatever the last one asked (gdb manual, "Packet
		 * Acknowledgment"). */
		if (starts(st.rx.buf, st.rx.len, "qSupported"))
			st.noack = false;
		if (!st.noack)
			uart_send(&st.u, "+", 1);
		packet(st.rx.buf, st.rx.len);
		break;
	case GDB_IN_BAD:
		log_info("gdb: a packet with a bad checksum; asked again");
		if (!st.noack)
			uart_send(&st.u, "-", 1);
		break;
	case GDB_IN_TOO_LONG:
		log_info("gdb: a packet over %u bytes refused", GDB_PKT_MAX);
		if (!st.noack)
			uart_send(&st.u, "+", 1);
		gdb_put_err(22);
		send_reply();
		break;
	case GDB_IN_NAK:
		if (st.olen)
			uart_send(&st.u, st.out, st.olen);
		break;
	case GDB_IN_INTERRUPT: interrupt(); break;
	case GDB_IN_ACK:
		if (!gdb.attached && !st.left)
			connect(); /* a new connection's first '+' */
		break;
	case GDB_IN_NONE: break;
	}
}

/* gdb_flow=xon: Bochs drops what overflows the UART's 16-byte receive FIFO, and the stub reads
 * it only from CPU 0's poll, between time slices (a second VM on CPU 0 makes those long). So
 * the sender (keel-run's Bochs bridge) keeps at most 12 bytes unacknowledged, and an XON
 * (0x11) acknowledges each XON_BYTES the stub has handled. It goes out between packets,
 * never inside one, and gdb's replies (hex and text) never hold 0x11 themselves. */
#define XON_BYTES 4 /* the sender's window is 12 (tools/keel-run's GDB_WINDOW) */

static void flow(void)
{
	while (st.xon && rx.tail - st.xon_at >= XON_BYTES) {
		uart_send(&st.u, "\x11", 1);
		st.xon_at += XON_BYTES;
	}
}

/* Every byte waiting: true if there was one. */
static bool drain(void)
{
	bool any = false;
	fill();
	for (u32 i = 0; i < RX && rx.tail != rx.head; i++, any = true) {
		u8 c = rx.buf[rx.tail % RX];
		__atomic_store_n(&rx.tail, rx.tail + 1, __ATOMIC_RELEASE);
		byte_in(c);
	}
	flow();
	return any;
}

/* A packet's bytes come a few at a time (a UART polled without its interrupt, whose FIFO QEMU
 * fills up to the trigger level, gdb_start's 14): the poll takes the rest of a packet as it comes,
 * rather than a byte each poll, bounded so that CPU 0's guests still run. */
#define GAP_US	2000  /* the next byte of a packet comes within this... */
#define SPIN_US 50000 /* ...and one poll waits this long in all */

void gdb_poll(void)
{
	if (!st.on)
		return;
	u64 start = rdtsc(), last = start;
	for (;;) {
		u64 now = rdtsc();
		if (drain())
			last = now;
		else if (st.rx.st == GDB_RX_IDLE || now - last > us_to_tsc(GAP_US) ||
			 now - start > us_to_tsc(SPIN_US))
			break;
		cpu_relax();
	}
	watch_stop();
}

void gdb_start(u16 port, u32 baud)
{
	if (!port)
		return;
	if (port == uart_port() || !uart_open(&st.u, port, baud)) {
		log_warn("gdb: no UART of its own at %#x; no gdb stub", port);
		return;
	}
	/* Polled, without its interrupt: QEMU then fills the FIFO up to 14 bytes at a time, not
	 * one (a 2 KB packet in 0.14 s rather than 1 s). */
	uart_rx_trigger(&st.u, 14);
	uart_watch(&st.u, fill);
	st.xon = keel_cfg.gdb_xon;
	st.on = true;
	log_info("gdb: stub on UART %#x%s (README \"Debugging a guest\")", port,
		 st.xon ? ", XON every 4 bytes taken" : "");
}
