/* VM definition parsing (pure C, host-tested). Every problem is named in d->error. */
#include "loader/vmdef.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "lib/token.h"

static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= VM_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* "0,2-3" -> bits 0, 2 and 3. */
bool vmdef_cpulist(const char *s, size_t n, u64 *mask)
{
	u64 m = 0;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != ',')
			j++;
		size_t dash = i;
		while (dash < j && s[dash] != '-')
			dash++;
		u64 a, b;
		if (!parse_u64(s + i, dash - i, &a))
			return false;
		b = a;
		if (dash < j && !parse_u64(s + dash + 1, j - dash - 1, &b))
			return false;
		if (a > b || b > 63)
			return false;
		for (u64 c = a; c <= b; c++)
			m |= 1ull << c;
		i = j + 1;
		if (j < n && i == n)
			return false; /* a trailing comma */
	}
	*mask = m;
	return m != 0;
}

/* One hex digit's value, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "xx:xx:xx:xx:xx:xx", a unicast address (bit 0 of the first byte clear). */
static bool parse_mac(const char *s, size_t n, u8 *mac)
{
	if (n != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);
		if ((i < 5 && s[3 * i + 2] != ':') || hi < 0 || lo < 0)
			return false;
		mac[i] = (u8)(hi << 4 | lo);
	}
	return !(mac[0] & 1);
}

#define FAIL(...)                                                      \
	do {                                                           \
		fmt_snprintf(d->error, sizeof(d->error), __VA_ARGS__); \
		return false;                                          \
	} while (0)

/* net=SWITCH[,SWITCH...]: names as for VMs, each under VM_SWITCH_MAX bytes. */
static bool parse_nets(struct vmdef *d, const char *s, size_t n)
{
	size_t i = 0;
	d->nnics = 0;
	while (i <= n) {
		size_t j = i;
		while (j < n && s[j] != ',')
			j++;
		if (d->nnics == VM_NICS_MAX || !name_ok(s + i, j - i) || j - i >= VM_SWITCH_MAX)
			return false;
		memcpy(d->sw[d->nnics], s + i, j - i);
		d->sw[d->nnics++][j - i] = '\0';
		i = j + 1;
	}
	return true;
}

/* The keys for what a VM has besides CPUs and RAM: its NICs, console and entropy source. */
static bool hw_key(struct vmdef *d, const struct token *t)
{
	if (token_is(t, "net")) {
		if (!parse_nets(d, t->val, t->vlen))
			FAIL("bad net '%.*s' (1-%d switch names of up to %d letters, digits, '-', "
			     "'_', '.', separated by ',')",
			     (int)t->vlen, t->val, VM_NICS_MAX, VM_SWITCH_MAX - 1);
	} else if (token_is(t, "mac")) {
		if (!parse_mac(t->val, t->vlen, d->mac))
			FAIL("bad mac '%.*s' (a unicast address like 02:00:00:00:00:01)",
			     (int)t->vlen, t->val);
		d->has_mac = true;
	} else if (token_is(t, "console")) {
		if (!token_val_is(t, "uart") && !token_val_is(t, "virtio"))
			FAIL("bad console '%.*s' (uart or virtio)", (int)t->vlen, t->val);
		d->virtio_console = token_val_is(t, "virtio");
	} else if (token_is(t, "rng")) {
		if (!token_val_is(t, "yes") && !token_val_is(t, "no"))
			FAIL("bad rng '%.*s' (yes or no)", (int)t->vlen, t->val);
		d->no_rng = token_val_is(t, "no");
	} else {
		FAIL("unknown key '%.*s'", (int)t->klen, t->key);
	}
	return true;
}

static bool key(struct vmdef *d, const struct token *t)
{
	u64 x;
	if (token_is(t, "module") && !t->val) {
		d->kind = VMDEF_MODULE;
	} else if (token_is(t, "initrd") && !t->val) {
		d->kind = VMDEF_INITRD;
	} else if (token_is(t, "disk") && !t->val) {
		d->kind = VMDEF_DISK;
	} else if (token_is(t, "ro") && !t->val) {
		d->ro = true;
	} else if (!t->val) {
		FAIL("unknown flag '%.*s'", (int)t->tlen, t->text);
	} else if (token_is(t, "vm")) {
		if (!name_ok(t->val, t->vlen))
			FAIL("bad VM name '%.*s' (1-%d letters, digits, '-', '_', '.')",
			     (int)t->vlen, t->val, VM_NAME_MAX - 1);
		memcpy(d->name, t->val, t->vlen);
		d->name[t->vlen] = '\0';
	} else if (token_is(t, "mem")) {
		if (!parse_size(t->val, t->vlen, &x) || x < VMDEF_MEM_MIN || x > VMDEF_MEM_MAX ||
		    x % PAGE_SIZE)
			FAIL("bad mem '%.*s' (a size from 1M to 1024G in whole pages, e.g. 64M)",
			     (int)t->vlen, t->val);
		d->mem = x;
	} else if (token_is(t, "cpus")) {
		if (!parse_u64(t->val, t->vlen, &x) || x < 1 || x > VM_MAX_VCPUS)
			FAIL("bad cpus '%.*s' (1 to %d)", (int)t->vlen, t->val, VM_MAX_VCPUS);
		d->cpus = (u32)x;
	} else if (token_is(t, "weight")) {
		if (!parse_u64(t->val, t->vlen, &x) || x < 1 || x > 65535)
			FAIL("bad weight '%.*s' (1 to 65535)", (int)t->vlen, t->val);
		d->weight = (u32)x;
	} else if (token_is(t, "cap")) {
		if (!parse_u64(t->val, t->vlen, &x) || x < 1 || x > 100 * 64)
			FAIL("bad cap '%.*s' (a percentage of one CPU, 1 to 6400)", (int)t->vlen,
			     t->val);
		d->cap = (u32)x;
	} else if (token_is(t, "pin")) {
		if (!vmdef_cpulist(t->val, t->vlen, &d->pin))
			FAIL("bad pin '%.*s' (CPU numbers 0-63 and ranges, e.g. 0,2-3)",
			     (int)t->vlen, t->val);
	} else if (token_is(t, "on_reset")) {
		if (!token_val_is(t, "stop") && !token_val_is(t, "restart"))
			FAIL("bad on_reset '%.*s' (stop or restart)", (int)t->vlen, t->val);
		d->on_reset_restart = token_val_is(t, "restart");
	} else if (token_is(t, "start")) {
		if (!token_val_is(t, "yes") && !token_val_is(t, "no"))
			FAIL("bad start '%.*s' (yes or no)", (int)t->vlen, t->val);
		d->no_start = token_val_is(t, "no");
	} else if (token_is(t, "gdb")) {
		if (!token_val_is(t, "wait") && !token_val_is(t, "no"))
			FAIL("bad gdb '%.*s' (wait or no)", (int)t->vlen, t->val);
		d->gdb_wait = token_val_is(t, "wait");
	} else if (token_is(t, "cmdline")) {
		if (t->vlen >= sizeof(d->cmdline))
			FAIL("cmdline longer than %zu bytes", sizeof(d->cmdline) - 1);
		memcpy(d->cmdline, t->val, t->vlen);
		d->cmdline[t->vlen] = '\0';
		d->has_cmdline = true;
	} else {
		return hw_key(d, t);
	}
	return true;
}

bool vmdef_parse(const char *str, struct vmdef *d)
{
	memset(d, 0, sizeof(*d));
	d->mem = VMDEF_MEM_DEFAULT;
	d->cpus = 1;
	const char *p = str, *first = str;
	struct token t;
	/* The image's name comes first when the loader gives it (QEMU, GRUB's multiboot v1, keel's
	 * own ISOs); a handwritten GRUB module2 line may start with the settings. */
	if (token_next(&p, &t) && !t.val && !t.bad && !token_is(&t, "module") &&
	    !token_is(&t, "initrd")) {
		if (t.tlen >= sizeof(d->image))
			FAIL("image name longer than %zu bytes", sizeof(d->image) - 1);
		memcpy(d->image, t.text, t.tlen);
		d->image[t.tlen] = '\0';
		first = p;
	}
	p = first;
	while (token_next(&p, &t)) {
		if (t.bad)
			FAIL("malformed '%.*s' (an unclosed quote?)", (int)t.tlen, t.text);
		if (!key(d, &t))
			return false;
	}
	if (!d->name[0])
		FAIL("no vm=NAME");
	if (d->ro && d->kind != VMDEF_DISK)
		FAIL("'ro' is for a disk (FILE vm=NAME disk ro)");
	if (d->kind != VMDEF_VM && (d->nnics || d->has_mac || d->virtio_console || d->no_rng))
		FAIL("net, mac, console and rng are for a VM's own line, not a module's");
	if (d->no_start && d->kind != VMDEF_VM)
		FAIL("start= is for a VM's own line, not a module's");
	if (d->gdb_wait && d->kind != VMDEF_VM)
		FAIL("gdb= is for a VM's own line, not a module's");
	if (d->has_mac && !d->nnics)
		FAIL("mac= without net=");
	return true;
}
