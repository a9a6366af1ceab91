/* Command-line parsing (pure C, host-tested). One table row per option. */
#include "kernel/cmdline.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "lib/token.h"

struct keel_config keel_cfg; /* the running keel's settings, parsed by kernel_main */

void config_defaults(struct keel_config *c)
{
	*c = (struct keel_config){
		.console_port = 0x3f8,
		.console_baud = 115200,
		.api_port = 0x2f8,
		.loglevel = 6,
		.shutdown = SHUTDOWN_AUTO,
	};
}

/* console=ttyS0..3 | 0xPORT | none, optionally ",BAUD" (like Linux's console=ttyS0,115200). */
static bool opt_console(struct keel_config *c, const char *v, size_t n)
{
	static const u16 ports[] = {0x3f8, 0x2f8, 0x3e8, 0x2e8};
	size_t comma = 0;
	while (comma < n && v[comma] != ',')
		comma++;
	u16 port;
	u64 x;
	if (comma == 4 && !memcmp(v, "none", 4)) {
		port = 0;
	} else if (comma == 5 && !memcmp(v, "ttyS", 4) && v[4] >= '0' && v[4] <= '3') {
		port = ports[v[4] - '0'];
	} else if (comma > 2 && !memcmp(v, "0x", 2) && parse_u64(v, comma, &x) && x > 0 &&
		   x <= 0xfff8) {
		port = (u16)x;
	} else {
		return false;
	}
	u32 baud = c->console_baud;
	if (comma < n) {
		if (!parse_u64(v + comma + 1, n - comma - 1, &x) || x < 50 || x > 115200 ||
		    115200 % x)
			return false;
		baud = (u32)x;
	}
	c->console_port = port;
	c->console_baud = baud;
	return true;
}

/* ttyS0..3 | 0xPORT | off: a UART of keel's own (0: off). */
static bool uart_opt(u16 *port, const char *v, size_t n)
{
	static const u16 ports[] = {0x3f8, 0x2f8, 0x3e8, 0x2e8};
	u64 x;
	if (n == 3 && !memcmp(v, "off", 3))
		*port = 0;
	else if (n == 5 && !memcmp(v, "ttyS", 4) && v[4] >= '0' && v[4] <= '3')
		*port = ports[v[4] - '0'];
	else if (n > 2 && !memcmp(v, "0x", 2) && parse_u64(v, n, &x) && x > 0 && x <= 0xfff8)
		*port = (u16)x;
	else
		return false;
	return true;
}

/* api=: the management API's UART (at the console's baud rate). */
static bool opt_api(struct keel_config *c, const char *v, size_t n)
{
	return uart_opt(&c->api_port, v, n);
}

/* gdb=: gdb's stub's UART (off by default), at the console's baud rate. */
static bool opt_gdb(struct keel_config *c, const char *v, size_t n)
{
	return uart_opt(&c->gdb_port, v, n);
}

/* api_flow=xon|none: keel writes XON (0x11) on the API's UART each time it has taken bytes
 * in, for a sender that waits for it (keel-run's Bochs bridge). */
static bool opt_api_flow(struct keel_config *c, const char *v, size_t n)
{
	if (n == 3 && !memcmp(v, "xon", 3))
		c->api_xon = true;
	else if (n == 4 && !memcmp(v, "none", 4))
		c->api_xon = false;
	else
		return false;
	return true;
}

/* gdb_flow=xon|none: gdb's stub writes XON (0x11) on its UART for every 4 bytes it has taken
 * in, for a sender that keeps at most 12 unacknowledged (keel-run's Bochs bridge); gdb's own
 * replies never hold 0x11. */
static bool opt_gdb_flow(struct keel_config *c, const char *v, size_t n)
{
	if (n == 3 && !memcmp(v, "xon", 3))
		c->gdb_xon = true;
	else if (n == 4 && !memcmp(v, "none", 4))
		c->gdb_xon = false;
	else
		return false;
	return true;
}

static bool opt_loglevel(struct keel_config *c, const char *v, size_t n)
{
	static const struct {
		const char *name;
		int level;
	} names[] = {{"error", 3}, {"warn", 4}, {"info", 6}, {"debug", 7}};
	u64 x;
	if (parse_u64(v, n, &x) && x <= 7) {
		c->loglevel = (int)x;
		return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (strlen(names[i].name) == n && !memcmp(v, names[i].name, n)) {
			c->loglevel = names[i].level;
			return true;
		}
	}
	return false;
}

/* Index of v in names[0..n), or -1. */
static int pick(const char *const *names, size_t count, const char *v, size_t n)
{
	for (size_t i = 0; i < count; i++)
		if (names[i] && strlen(names[i]) == n && !memcmp(v, names[i], n))
			return (int)i;
	return -1;
}

static bool opt_shutdown(struct keel_config *c, const char *v, size_t n)
{
	static const char *const names[] = {
		[SHUTDOWN_AUTO] = "auto", [SHUTDOWN_QEMU] = "qemu",   [SHUTDOWN_BOCHS] = "bochs",
		[SHUTDOWN_ACPI] = "acpi", [SHUTDOWN_RESET] = "reset", [SHUTDOWN_HALT] = "halt",
	};
	int i = pick(names, ARRAY_SIZE(names), v, n);
	if (i >= 0)
		c->shutdown = (enum shutdown_method)i;
	return i >= 0;
}

static bool opt_selftest(struct keel_config *c, const char *v, size_t n)
{
	static const char *const names[] = {
		[SELFTEST_NONE] = "none",
		[SELFTEST_NULL] = "null",
		[SELFTEST_STACK] = "stack-overflow",
		[SELFTEST_WRITE_TEXT] = "write-text",
		[SELFTEST_EXEC_DATA] = "exec-data",
		[SELFTEST_PANIC] = "panic",
	};
	int i = pick(names, ARRAY_SIZE(names), v, n);
	if (i >= 0)
		c->selftest = (enum selftest)i;
	return i >= 0;
}

/* vcpurec=off | roundtrip | N: the vCPU record's test mode (vm/vcpu_rec.c), at every turn or
 * every N-th. */
static bool opt_vcpurec(struct keel_config *c, const char *v, size_t n)
{
	u64 x;
	if (n == 3 && !memcmp(v, "off", 3))
		x = 0;
	else if (n == 9 && !memcmp(v, "roundtrip", 9))
		x = 1;
	else if (!parse_u64(v, n, &x) || x > 1000000)
		return false;
	c->vcpurec = (u32)x;
	return true;
}

/* A name of 1 to size-1 letters, digits, '-', '_' or '.' (as VM and switch names) into dst
 * (uplink=, host=). */
static bool copy_name(char *dst, size_t size, const char *v, size_t n)
{
	if (!n || n >= size)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = v[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
			return false;
	}
	memcpy(dst, v, n);
	dst[n] = 0;
	return true;
}

/* uplink=SWITCH: bind that switch to the first host NIC (vm/uplink.c). */
static bool opt_uplink(struct keel_config *c, const char *v, size_t n)
{
	return copy_name(c->uplink, sizeof(c->uplink), v, n);
}

/* host=NAME: this keel's name among its peers. */
static bool opt_host(struct keel_config *c, const char *v, size_t n)
{
	return copy_name(c->host, sizeof(c->host), v, n);
}

/* incoming=yes|no: accept live migrations into this keel (mgmt/miglink.c), which then keeps
 * running while it has no VM. */
static bool opt_incoming(struct keel_config *c, const char *v, size_t n)
{
	if (n == 3 && !memcmp(v, "yes", 3))
		c->incoming = true;
	else if (n == 2 && !memcmp(v, "no", 2))
		c->incoming = false;
	else
		return false;
	return true;
}

/* One hex digit's value, or -1. */
static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* migrate_key=HEX: 16 to 64 bytes (32 to 128 hex digits), the HMAC key both keels share. A bad
 * one leaves no key at all (every stream refused), never a half-parsed one. */
static bool opt_migrate_key(struct keel_config *c, const char *v, size_t n)
{
	c->migrate_keylen = 0;
	if (n % 2 || n < 32 || n > 2 * sizeof(c->migrate_key))
		return false;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval(v[i]), lo = hexval(v[i + 1]);
		if (hi < 0 || lo < 0) {
			memset(c->migrate_key, 0, sizeof(c->migrate_key));
			return false;
		}
		c->migrate_key[i / 2] = (u8)(hi << 4 | lo);
	}
	c->migrate_keylen = (u32)(n / 2);
	return true;
}

static const struct option {
	const char *name;
	bool (*parse)(struct keel_config *c, const char *v, size_t n);
	const char *expects;
} options[] = {
	{"console", opt_console, "ttyS0..ttyS3, 0xPORT or none, then optionally ,BAUD"},
	{"api", opt_api, "ttyS0..ttyS3, 0xPORT or off"},
	{"api_flow", opt_api_flow, "xon or none"},
	{"gdb", opt_gdb, "ttyS0..ttyS3, 0xPORT or off"},
	{"gdb_flow", opt_gdb_flow, "xon or none"},
	{"loglevel", opt_loglevel, "0-7, error, warn, info or debug"},
	{"shutdown", opt_shutdown, "auto, qemu, bochs, acpi, reset or halt"},
	{"exit", opt_shutdown, "auto, qemu, bochs, acpi, reset or halt"}, /* its old name */
	{"selftest", opt_selftest, "none, null, stack-overflow, write-text, exec-data or panic"},
	{"vcpurec", opt_vcpurec, "off, roundtrip or a number of turns"},
	{"uplink", opt_uplink, "a switch name of 1-15 letters, digits, '-', '_' or '.'"},
	{"host", opt_host, "a name of 1-31 letters, digits, '-', '_' or '.'"},
	{"incoming", opt_incoming, "yes or no"},
	{"migrate_key", opt_migrate_key, "32 to 128 hex digits (16 to 64 bytes); no key kept"},
};

static bool looks_like_path(const struct token *t)
{
	if (t->val || t->bad)
		return false;
	for (size_t i = 0; i < t->klen; i++)
		if (t->key[i] == '/' || t->key[i] == '.')
			return true;
	return false;
}

void cmdline_parse(const char *cmdline, struct keel_config *c)
{
	const char *p = cmdline;
	struct token t;
	bool first = true;

	while (token_next(&p, &t)) {
		if (first && looks_like_path(&t)) {
			first = false; /* QEMU and GRUB's multiboot v1 put keel's path first */
			continue;
		}
		first = false;
		const struct option *o = NULL;
		for (size_t i = 0; i < ARRAY_SIZE(options); i++)
			if (token_is(&t, options[i].name))
				o = &options[i];
		if (!o) {
			log_err("cmdline: unknown option '%.*s' ignored", (int)t.tlen, t.text);
			c->errors++;
		} else if (!t.val || t.bad || !o->parse(c, t.val, t.vlen)) {
			log_err("cmdline: bad value in '%.*s' (expected %s); default kept",
				(int)t.tlen, t.text, o->expects);
			c->errors++;
		}
	}
}
