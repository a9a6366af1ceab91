/* gdb's packets that read and write a stopped VM (Remote Protocol appendix, "Packets"):
 * registers (g G p P), memory (m M X), break- and watchpoints (Z z), threads (H T
 * qfThreadInfo qsThreadInfo qC) and the target description (qXfer:features:read). Everything
 * about the guest goes through exit/debug.h and the backend's state_get/state_set. */
#include "mgmt/gdb_int.h"
#include "mgmt/gdb_regs.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "vm/virt.h"

struct gdb_session gdb;

/* errno values, as gdb's replies use them (Remote Protocol, "Errno Values"). */
#define E_PERM	1
#define E_NOENT 2
#define E_FAULT 14
#define E_INVAL 22
#define E_NOSPC 28

void gdb_put(const char *s)
{
	u32 n = (u32)strlen(s);
	if (n > sizeof(gdb.reply) - gdb.rlen)
		n = (u32)sizeof(gdb.reply) - gdb.rlen;
	memcpy(gdb.reply + gdb.rlen, s, n);
	gdb.rlen += n;
}

void gdb_put_hex(const void *b, u32 n)
{
	if (2 * n > sizeof(gdb.reply) - gdb.rlen)
		n = ((u32)sizeof(gdb.reply) - gdb.rlen) / 2;
	gdb_hex_put(gdb.reply + gdb.rlen, b, n);
	gdb.rlen += 2 * n;
}

void gdb_put_err(u8 n)
{
	gdb.rlen = 0;
	gdb_put("E");
	gdb_put_hex(&n, 1);
}

/* The vCPU Hg selected. */
static struct vcpu *g_vcpu(void)
{
	return gdb.vm->vcpu[gdb.g_vcpu < gdb.vm->nvcpus ? gdb.g_vcpu : 0];
}

/* The selected vCPU's registers, as gdb sees them. */
static void cpu_read(struct gdb_cpu *c, u32 *pkru)
{
	struct vcpu *v = g_vcpu();
	virt->state_get(v, &c->s);
	vcpu_xstate_get(v, gdb.xrec, pkru);
	c->fx = gdb.xrec;
	c->mxcsr_mask = cpustate_mxcsr_mask();
}

/* Write back what a P or G changed (fx: the x87/SSE part too). */
static void cpu_write(const struct gdb_cpu *c, u32 pkru, bool fx)
{
	struct vcpu *v = g_vcpu();
	virt->state_set(v, &c->s);
	if (fx)
		vcpu_xstate_set(v, gdb.xrec, pkru);
}

/* 'g': every register. */
static void regs_read(void)
{
	struct gdb_cpu c;
	u32 pkru;
	u8 all[GDB_G_BYTES];
	cpu_read(&c, &pkru);
	gdb_regs_get(&c, all);
	gdb_put_hex(all, sizeof(all));
}

/* A refused register write: E22 and a log line (gdb only says "could not write"). */
static void refused(const char *why)
{
	log_info("gdb: register write refused: %s", why);
	gdb_put_err(E_INVAL);
}

/* 'G XX...': every register, all or none. */
static void regs_write(const char *p, u32 n)
{
	struct gdb_cpu c;
	u32 pkru;
	u8 all[GDB_G_BYTES];
	if (n != 2 * GDB_G_BYTES || !gdb_hex_get(all, p, GDB_G_BYTES)) {
		gdb_put_err(E_INVAL);
		return;
	}
	cpu_read(&c, &pkru);
	const char *why = gdb_regs_set(&c, all);
	if (why) {
		refused(why);
		return;
	}
	cpu_write(&c, pkru, true);
	gdb_put("OK");
}

/* 'p n' and 'P n=XX...'. */
static void reg_one(const char *p, const char *end, bool write)
{
	struct gdb_cpu c;
	u32 pkru;
	u8 val[16];
	u64 n;
	if (!gdb_hex_u64(&p, end, &n) || !gdb_reg_size((u32)n) || n >= GDB_NREGS) {
		gdb_put_err(E_INVAL);
		return;
	}
	u32 size = gdb_reg_size((u32)n);
	cpu_read(&c, &pkru);
	if (!write) {
		gdb_reg_get(&c, (u32)n, val);
		gdb_put_hex(val, size);
		return;
	}
	if (end - p != 1 + 2 * (s64)size || *p != '=' || !gdb_hex_get(val, p + 1, size)) {
		gdb_put_err(E_INVAL);
		return;
	}
	const char *why = gdb_reg_set(&c, (u32)n, val);
	if (why) {
		refused(why);
		return;
	}
	cpu_write(&c, pkru, n >= GDB_ST0 && n <= GDB_MXCSR);
	gdb_put("OK");
}

/* "ADDR,LEN" then sep (or the end when sep is 0). */
static bool addr_len(const char **p, const char *end, u64 *addr, u64 *len, char sep)
{
	if (!gdb_hex_u64(p, end, addr) || *p == end || **p != ',')
		return false;
	(*p)++;
	if (!gdb_hex_u64(p, end, len))
		return false;
	if (!sep)
		return *p == end;
	return *p < end && *(*p)++ == sep;
}

/* 'm ADDR,LEN': as much as one reply holds; an address keel cannot read is E14 (gdb asks for
 * many of those: no log line). */
static void mem_read(const char *p, const char *end)
{
	static u8 buf[GDB_PKT_MAX / 2];
	u64 addr, len;
	const char *why;
	if (!addr_len(&p, end, &addr, &len, 0)) {
		gdb_put_err(E_INVAL);
		return;
	}
	if (len > sizeof(buf))
		len = sizeof(buf);
	if (dbg_read(g_vcpu(), addr, buf, len, gdb.phys, &why) < 0) {
		gdb_put_err(E_FAULT);
		return;
	}
	gdb_put_hex(buf, (u32)len);
}

/* 'M ADDR,LEN:XX...' (hex) and 'X ADDR,LEN:...' (binary, unescaped by the packet layer). */
static void mem_write(const char *p, const char *end, bool binary)
{
	static u8 buf[GDB_PKT_MAX];
	u64 addr, len;
	const char *why;
	if (!addr_len(&p, end, &addr, &len, ':') || len > sizeof(buf) ||
	    (u64)(end - p) != (binary ? len : 2 * len) ||
	    (!binary && !gdb_hex_get(buf, p, (u32)len))) {
		gdb_put_err(E_INVAL);
		return;
	}
	if (binary)
		memcpy(buf, p, len);
	if (len && dbg_write(g_vcpu(), addr, buf, len, gdb.phys, &why) < 0) {
		log_info("gdb: no write of %llu bytes at %#llx: %s", len, addr, why);
		gdb_put_err(E_FAULT);
		return;
	}
	gdb_put("OK");
}

/* 'Z TYPE,ADDR,KIND' and 'z ...': 0 software (INT3), 1 hardware execution, 2 write, 3 read,
 * 4 access watchpoints; KIND is the length for 2-4. */
static void breakpoint(const char *p, const char *end, bool insert)
{
	static const enum dbg_hw_kind kinds[] = {DBG_HW_EXEC, DBG_HW_EXEC, DBG_HW_WRITE,
						 DBG_HW_READ, DBG_HW_ACCESS};
	u64 type, addr, kind;
	const char *why;
	if (!gdb_hex_u64(&p, end, &type) || p == end || *p++ != ',' ||
	    !addr_len(&p, end, &addr, &kind, 0)) {
		/* conditions and commands (";cond...") are not offered: only the plain form */
		gdb_put_err(E_INVAL);
		return;
	}
	if (type > 4) {
		return; /* empty: not supported */
	}
	if (type == 0)
		why = insert ? dbg_sw_insert(g_vcpu(), addr) : dbg_sw_remove(g_vcpu(), addr);
	else if (insert)
		why = dbg_hw_insert(gdb.vm, kinds[type], addr, type == 1 ? 1 : (u8)kind);
	else
		why = dbg_hw_remove(gdb.vm, kinds[type], addr, type == 1 ? 1 : (u8)kind);
	if (kind > 8 && type > 1)
		why = why ? why : "bad length";
	if (why) {
		log_info("gdb: %s of Z%llu at %#llx refused: %s", insert ? "insert" : "remove",
			 type, addr, why);
		gdb_put_err(type ? E_NOSPC : E_FAULT);
		return;
	}
	gdb_put("OK");
}

/* A thread id: vCPU index + 1; 0 is "any" and -1 "all" (Remote Protocol, "thread-id
 * syntax"). -2 if it names none of the VM's vCPUs. */
static s32 thread_id(const char *p, const char *end)
{
	u64 t;
	if (end - p == 2 && p[0] == '-' && p[1] == '1')
		return -1;
	if (!gdb_hex_u64(&p, end, &t) || p != end || t > gdb.vm->nvcpus)
		return -2;
	return (s32)t;
}

/* 'Hg TID' / 'Hc TID': the thread later packets are for. */
static void set_thread(const char *p, const char *end)
{
	s32 t = thread_id(p + 1, end);
	if (t == -2 || (p[0] != 'g' && p[0] != 'c')) {
		gdb_put_err(E_NOENT);
		return;
	}
	if (p[0] == 'g' && t > 0)
		gdb.g_vcpu = (u32)t - 1;
	if (p[0] == 'c')
		gdb.c_vcpu = t > 0 ? t - 1 : -1;
	gdb_put("OK");
}

/* 'T TID': alive if it is one of the VM's vCPUs. */
static void thread_alive(const char *p, const char *end)
{
	s32 t = thread_id(p, end);
	if (t > 0)
		gdb_put("OK");
	else
		gdb_put_err(E_NOENT);
}

/* qfThreadInfo: every vCPU in one go ('m1,2,...'); qsThreadInfo then ends the list. */
static void thread_list(bool first)
{
	if (!first) {
		gdb_put("l");
		return;
	}
	gdb_put("m");
	for (u32 i = 0; i < gdb.vm->nvcpus; i++) {
		char id[12];
		u8 b = (u8)(i + 1);
		id[0] = ',';
		gdb_hex_put(id + 1, &b, 1);
		id[3] = '\0';
		gdb_put(id + (i ? 0 : 1));
	}
}

/* qC: the thread Hg selected (the one that stopped, unless gdb chose another). */
static void current_thread(void)
{
	u8 t = (u8)(gdb.g_vcpu + 1);
	gdb_put("QC");
	gdb_put_hex(&t, 1);
}

/* qXfer:features:read:ANNEX:OFF,LEN: a piece of target.xml, 'm' while more follows, 'l' for
 * the last (Remote Protocol, "General Query Packets"). */
static void xfer_features(const char *p, const char *end)
{
	static const char annex[] = "target.xml:";
	u32 xlen;
	const char *xml = gdb_target_xml(&xlen);
	u64 off, len;
	if ((u64)(end - p) < sizeof(annex) - 1 || memcmp(p, annex, sizeof(annex) - 1)) {
		gdb_put_err(E_NOENT);
		return;
	}
	p += sizeof(annex) - 1;
	if (!addr_len(&p, end, &off, &len, 0)) {
		gdb_put_err(E_INVAL);
		return;
	}
	if (len > sizeof(gdb.reply) - 1)
		len = sizeof(gdb.reply) - 1;
	if (off >= xlen) {
		gdb_put("l");
		return;
	}
	u32 n = xlen - (u32)off < len ? xlen - (u32)off : (u32)len;
	gdb.reply[0] = off + n < xlen ? 'm' : 'l';
	memcpy(gdb.reply + 1, xml + off, n);
	gdb.rlen = n + 1;
}

/* Packets that need a stopped VM, once it is: false if p is not one of them. */
static bool stopped_cmd(const char *p, const char *end)
{
	switch (p[0]) {
	case 'g': regs_read(); return true;
	case 'G': regs_write(p + 1, (u32)(end - p - 1)); return true;
	case 'p':
	case 'P': reg_one(p + 1, end, p[0] == 'P'); return true;
	case 'm': mem_read(p + 1, end); return true;
	case 'M':
	case 'X': mem_write(p + 1, end, p[0] == 'X'); return true;
	case 'Z':
	case 'z': breakpoint(p + 1, end, p[0] == 'Z'); return true;
	default: return false;
	}
}

static bool starts(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(end - p) >= n && !memcmp(p, s, n);
}

bool gdb_cmd(const char *p, u32 n)
{
	const char *end = p + n;
	if (!n)
		return false;
	bool needs_vm = (p[0] && strchr("gGpPmMXZzHT", p[0])) || starts(p, end, "qfThreadInfo") ||
			starts(p, end, "qsThreadInfo") || starts(p, end, "qC");
	if (needs_vm && !gdb.attached) {
		gdb_put_err(E_PERM);
		return true;
	}
	if (p[0] && strchr("gGpPmMXZz", p[0])) {
		if (!gdb.stopped)
			gdb_put_err(E_PERM); /* all-stop: gdb asks only while stopped */
		else
			stopped_cmd(p, end);
		return true;
	}
	if (p[0] == 'H' && n > 1)
		set_thread(p + 1, end);
	else if (p[0] == 'T')
		thread_alive(p + 1, end);
	else if (starts(p, end, "qfThreadInfo") || starts(p, end, "qsThreadInfo"))
		thread_list(p[1] == 'f');
	else if (starts(p, end, "qC") && n == 2)
		current_thread();
	else if (starts(p, end, "qXfer:features:read:"))
		xfer_features(p + 20, end);
	else
		return false;
	return true;
}
