/* The management API: line-delimited JSON on a UART (COM2 by default), shaped like QEMU's QMP
 * (QEMU's QMP spec, docs/interop/qmp-spec.rst): a greeting, capabilities negotiation, then
 * one command per line, each answered by one line, and events between them. Everything runs
 * on CPU 0 from the console's poll, except vm_event's sink, which only queues (any CPU). */
#include "mgmt/mgmt.h"
#include "mgmt/cmds.h"
#include "drivers/ioapic.h"
#include "drivers/lapic.h"
#include "drivers/rtc.h"
#include "drivers/timer.h"
#include "drivers/uart.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/spinlock.h"
#include "kernel/trap.h"
#include "kernel/version.h"
#include "kernel/x86.h"
#include "lib/string.h"
#include "mgmt/migrate.h"
#include "vm/console.h"

#define LINE_MAX  4096	/* a longer request is refused whole */
#define REPLY_MAX 16384 /* query-vms of 16 VMs fits with room to spare */
#define EVENTS	  32	/* events queued for CPU 0; more are dropped and counted */
#define TRIGGER	  8 /* the receive FIFO interrupts with this many bytes in it: 14 overran on Bochs */
#define GAP_US	  100  /* the interrupt waits this long for more of a request... */
#define SPIN_US	  5000 /* ...and this long in all */
#define POLL_US	  10   /* between looks at the UART while waiting */

static struct {
	struct uart u;
	bool negotiated; /* qmp_capabilities was accepted */
	char line[LINE_MAX + 1];
	u32 len;
	bool too_long; /* the current line went past LINE_MAX: skip to its end */
	char ret[REPLY_MAX], reply[REPLY_MAX];
	u32 reply_len; /* of the last reply in reply */
	bool xon;      /* api_flow=xon */
} api;

/* What the UART received, filled under lock by fill() (its IRQ, the poll, and any UART's
 * output while it waits for the transmitter), emptied by CPU 0: a 16-byte FIFO polled between
 * time slices overflows (Bochs drops what does not fit; QEMU waits). Room for four requests of
 * LINE_MAX, so a client may send the next while one is handled. */
#define RX 16384
static struct {
	struct spinlock lock;
	u8 buf[RX];
	volatile u32 head, tail;
	u32 lost; /* overruns seen, not yet logged */
} rx;

/* Filled by any CPU (vm_event's sink), emptied by CPU 0. */
static struct {
	struct spinlock lock;
	struct ev {
		enum vm_event e;
		enum vm_end end;
		u64 status, tsc;
		char vm[VM_NAME_MAX];
		char why[96];
	} q[EVENTS];
	u32 head, tail, dropped;
} evq;

static void send_line(const char *s, u32 n)
{
	uart_send(&api.u, s, n);
	uart_send(&api.u, "\n", 1);
}

/* The last replies, by their request's id, for a client that sends a request again because no
 * reply came (a byte lost on a serial line, either way): the same id gets the same reply and
 * the command does not run twice. A new client's hello empties it. */
#define REPLAYS	  4
#define REPLAY_ID 64
static struct replay {
	char id[REPLAY_ID];
	u32 id_len, len;
	char reply[REPLY_MAX];
} replays[REPLAYS];
static u32 replay_next;

static void replay_forget(void)
{
	for (u32 i = 0; i < REPLAYS; i++)
		replays[i].id_len = 0;
}

/* A reply to id was sent: keep it. */
static void replay_keep(const struct json_val *id, const char *reply, u32 len)
{
	if (!len || id->type == JSON_NONE || id->len > REPLAY_ID)
		return;
	struct replay *r = &replays[replay_next++ % REPLAYS];
	memcpy(r->id, id->raw, id->len);
	r->id_len = id->len;
	memcpy(r->reply, reply, len);
	r->len = len;
}

/* Send id's kept reply again: false if there is none. */
static bool replay(const struct json_val *id)
{
	for (u32 i = 0; i < REPLAYS && id->type != JSON_NONE; i++) {
		const struct replay *r = &replays[i];
		if (r->id_len && r->id_len == id->len && !memcmp(r->id, id->raw, id->len)) {
			send_line(r->reply, r->len);
			return true;
		}
	}
	return false;
}

/* QMP spec 2.2: the greeting; keel offers no capabilities. */
static void greet(void)
{
	static const char hello[] =
		"{\"QMP\": {\"version\": {\"keel\": \"" KEEL_VERSION "\"}, \"capabilities\": []}}";
	api.negotiated = false;
	replay_forget();
	send_line(hello, sizeof(hello) - 1);
}

/* QMP spec 2.4.2: {"error": {"class": C, "desc": D}, "id": ID}. */
static void reply_error(const struct json_val *id, const char *cls, const char *desc)
{
	struct jw w;
	jw_init(&w, api.reply, sizeof(api.reply));
	jw_obj_begin(&w);
	jw_key(&w, "error");
	jw_obj_begin(&w);
	jw_kstr(&w, "class", cls);
	jw_kstr(&w, "desc", desc);
	jw_obj_end(&w);
	if (id && id->type != JSON_NONE) {
		jw_key(&w, "id");
		jw_raw(&w, id->raw, id->len);
	}
	jw_obj_end(&w);
	if (!w.overflow)
		send_line(w.buf, w.len);
	api.reply_len = w.overflow ? 0 : w.len;
}

/* QMP spec 2.4.1: {"return": VALUE, "id": ID}; a result too large for the buffer is an
 * error instead. */
static void reply_return(const struct json_val *id, const struct jw *ret)
{
	struct jw w;
	jw_init(&w, api.reply, sizeof(api.reply));
	jw_obj_begin(&w);
	jw_key(&w, "return");
	if (ret->len)
		jw_raw(&w, ret->buf, ret->len);
	else
		jw_raw(&w, "{}", 2);
	if (id->type != JSON_NONE) {
		jw_key(&w, "id");
		jw_raw(&w, id->raw, id->len);
	}
	jw_obj_end(&w);
	if (ret->overflow || w.overflow) {
		reply_error(id, CMD_ERR_GENERIC, "reply too large");
	} else {
		send_line(w.buf, w.len);
		api.reply_len = w.len;
	}
}

/* A long command's extra lines (snapshot-export), written before its reply. */
static void stream(const char *line, u32 len)
{
	send_line(line, len);
}

/* One request line. */
static void request(const char *s, u32 n)
{
	static struct json_request r;
	const char *why = json_parse_request(s, n, &r);
	if (why) {
		reply_error(&r.id, CMD_ERR_GENERIC, why);
		return;
	}
	if (replay(&r.id))
		return;
	bool caps = !strcmp(r.execute, "qmp_capabilities");
	if (!api.negotiated && !caps) {
		reply_error(&r.id, CMD_ERR_NOT_FOUND,
			    "Expecting capabilities negotiation with 'qmp_capabilities'");
		return;
	}
	struct jw ret;
	jw_init(&ret, api.ret, sizeof(api.ret));
	if (caps) {
		if (api.negotiated) {
			reply_error(&r.id, CMD_ERR_NOT_FOUND,
				    "Capabilities negotiation is already complete, command "
				    "ignored");
			return;
		}
		api.negotiated = true;
		reply_return(&r.id, &ret);
		return;
	}
	struct cmd_ctx c = {.req = &r, .out = &ret, .stream = stream};
	if (cmd_run(&c))
		reply_return(&r.id, &ret);
	else
		reply_error(&r.id, c.err_class ? c.err_class : CMD_ERR_GENERIC, c.err);
	replay_keep(&r.id, api.reply, api.reply_len); /* a command that ran: never twice */
}

/* A complete line: an empty one is a new client saying hello (keel cannot see a connection on
 * a UART), so it gets the greeting and negotiates again. */
static void line_done(void)
{
	u32 n = api.len;
	api.len = 0;
	if (strnlen(api.line, n) < n) { /* spoilt by an overrun (fill_lines): no reply */
		log_warn("api: a request lost bytes on the line; dropped");
		api.too_long = false;
		return;
	}
	if (api.too_long) {
		api.too_long = false;
		reply_error(NULL, CMD_ERR_GENERIC, "request longer than 4096 bytes");
		return;
	}
	while (n && (api.line[n - 1] == '\r' || api.line[n - 1] == ' '))
		n--;
	if (!n) {
		greet();
		return;
	}
	api.line[n] = '\0';
	request(api.line, n);
}

/* Move what the UART holds into rx; whoever holds the lock is already doing it. The bytes
 * moved; *eol is set if a line ended. */
static u32 fill_lines(bool *eol)
{
	u64 flags;
	if (!spin_trylock_irq(&rx.lock, &flags))
		return 0;
	int c;
	u32 n = 0;
	while (rx.head - rx.tail < RX && (c = uart_recv(&api.u)) >= 0) {
		rx.buf[rx.head++ % RX] = (u8)c;
		*eol |= c == '\n';
		n++;
	}
	/* Bytes were lost after what the FIFO held (a 16550 drops what arrives when it is full):
	 * a mark here spoils the line they belonged to, which is then dropped unanswered and
	 * sent again by the client (no reply came), rather than run damaged. */
	/* api_flow=xon: the sender may send its next bytes (while the ring has room for them). */
	if (n && api.xon && RX - (rx.head - rx.tail) >= 64)
		uart_send(&api.u, "\x11", 1);
	u32 lost = uart_overruns(&api.u);
	if (lost && rx.head - rx.tail < RX) {
		rx.buf[rx.head++ % RX] = 0;
		rx.lost += lost;
	}
	spin_unlock_irq(&rx.lock, flags);
	return n;
}

static void fill(void)
{
	bool eol = false;
	fill_lines(&eol);
}

/* The FIFO's interrupt: take the rest of the request as it comes, while it keeps coming (a
 * FIFO refilled below its trigger level would wait four character times to interrupt); once
 * it has ended, CPU 0 leaves its guest and handles it now (its scheduler loop polls the API),
 * not at the end of the time slice. */
static void api_irq(struct trap_frame *f)
{
	(void)f;
	bool eol = false;
	u64 start = rdtsc(), last = start;
	while (!eol) {
		u64 now = rdtsc();
		if (fill_lines(&eol))
			last = now;
		else if (now - last > us_to_tsc(GAP_US) || now - start > us_to_tsc(SPIN_US))
			break;
		/* An emulator's device model may need its lock (and the UART) to put the next
		 * bytes in: look again a little later, not in a tight loop. */
		while (rdtsc() - now < us_to_tsc(POLL_US))
			cpu_relax();
	}
	if (eol && this_cpu()->id == 0)
		this_cpu()->need_resched = true;
	lapic_eoi();
}

/* Every complete line waiting, and what there is of the next (bounded by the ring: what
 * arrives meanwhile waits for the next poll). */
static void read_input(void)
{
	fill();
	u32 n = __atomic_exchange_n(&rx.lost, 0, __ATOMIC_RELAXED);
	if (n)
		log_warn(
			"api: the UART's receive FIFO overran %u times: the requests it spoilt are "
			"dropped",
			n);
	for (u32 i = 0; i < RX && rx.tail != rx.head; i++) {
		char c = (char)rx.buf[rx.tail % RX];
		__atomic_store_n(&rx.tail, rx.tail + 1, __ATOMIC_RELEASE);
		if (c == '\n')
			line_done();
		else if (api.len == LINE_MAX)
			api.too_long = true;
		else if (!api.too_long)
			api.line[api.len++] = c;
	}
}

/* vm_event's sink (any CPU): queue e for CPU 0, with what it will say about the VM. */
static void queue_event(struct vm *vm, enum vm_event e)
{
	u64 flags = spin_lock_irq(&evq.lock);
	if (evq.head - evq.tail == EVENTS) {
		evq.dropped++;
	} else {
		struct ev *v = &evq.q[evq.head++ % EVENTS];
		*v = (struct ev){.e = e, .end = vm->end, .status = vm->status, .tsc = rdtsc()};
		strlcpy(v->vm, vm->name, sizeof(v->vm));
		strlcpy(v->why, vm->why, sizeof(v->why));
	}
	spin_unlock_irq(&evq.lock, flags);
}

/* QMP spec 2.5: {"event": NAME, "data": {...}, "timestamp": {"seconds", "microseconds"}}. */
static void send_event(const struct ev *v)
{
	static const char *const names[] = {
		[VM_EV_END] = "SHUTDOWN",	 [VM_EV_RESET] = "RESET",
		[VM_EV_PAUSED] = "STOP",	 [VM_EV_RESUMED] = "RESUME",
		[VM_EV_POWERDOWN] = "POWERDOWN",
	};
	u64 us = rtc_unix_ns_at(v->tsc) / 1000;
	struct jw w;
	jw_init(&w, api.reply, sizeof(api.reply));
	jw_obj_begin(&w);
	jw_kstr(&w, "event", v->e < ARRAY_SIZE(names) ? names[v->e] : "UNKNOWN");
	jw_key(&w, "data");
	jw_obj_begin(&w);
	jw_kstr(&w, "vm", v->vm);
	if (v->e == VM_EV_END) {
		jw_kbool(&w, "guest", v->end != VM_END_ERROR && v->end != VM_END_NONE);
		jw_kstr(&w, "reason", cmd_end_reason(v->end));
		if (v->end == VM_END_EXIT)
			jw_ku64(&w, "status", v->status);
		jw_kstr(&w, "message", v->why);
	}
	jw_obj_end(&w);
	jw_key(&w, "timestamp");
	jw_obj_begin(&w);
	jw_ku64(&w, "seconds", us / 1000000);
	jw_ku64(&w, "microseconds", us % 1000000);
	jw_obj_end(&w);
	jw_obj_end(&w);
	if (!w.overflow)
		send_line(w.buf, w.len);
}

/* CPU 0: write the queued events out, oldest first. */
static void flush_events(void)
{
	for (;;) {
		struct ev v;
		u32 dropped;
		u64 flags = spin_lock_irq(&evq.lock);
		bool any = evq.tail != evq.head;
		if (any)
			v = evq.q[evq.tail++ % EVENTS];
		dropped = evq.dropped;
		evq.dropped = 0;
		spin_unlock_irq(&evq.lock, flags);
		if (dropped)
			log_warn("api: %u events dropped (the queue was full)", dropped);
		if (!any)
			return;
		send_event(&v);
	}
}

/* CPU 0, from the console's poll: events out, then requests in. */
static void api_poll(void)
{
	flush_events();
	read_input();
	migrate_poll(); /* live migrations step on too (mgmt/migrate.h) */
}

/* CPU 0's console poll: the API (if on) and gdb's stub (if on). */
static bool api_on;
static void mgmt_poll(void)
{
	if (api_on)
		api_poll();
	else
		migrate_poll(); /* api_poll's too */
	gdb_poll();
}

void mgmt_start(u16 port, u32 baud, bool xon, u16 gdb_port)
{
	api.xon = xon;
	bool on = port && port != uart_port() && uart_open(&api.u, port, baud);
	api_on = on;
	gdb_start(gdb_port == port && on ? 0 : gdb_port, baud);
	if (gdb_port && gdb_port == port && on)
		log_warn("gdb: its UART %#x is the API's; no gdb stub", gdb_port);
	console_set_mgmt(prompt_line, mgmt_poll);
	if (!on) {
		if (port && port != uart_port())
			log_info("api: no UART at %#x; no management API", port);
		return;
	}
	vm_set_event_sink(queue_event);
	int irq = uart_irq(&api.u);
	bool by_irq = irq >= 0 && ioapic_route_isa((u8)irq, VEC_API, lapic_id());
	if (by_irq) {
		irq_register(VEC_API, api_irq);
		uart_irq_enable(&api.u, TRIGGER);
	}
	uart_watch(&api.u, fill);
	log_info("api: management API on UART %#x by %s (README \"Management API\")", port,
		 by_irq ? "interrupt" : "polling");
	greet();
}
