/* What a guest prints reaches keel's log whole, under its own name, and tame (README
 * "Hypercalls", "What a guest sees"). lines=N: N distinct lines by the PRINT hypercall, each
 * "print: X NNNNN" and 80 times X (X = 'a' + id=), for two VMs printing on two CPUs at once;
 * long=1: a 1202-byte line and a 4096-byte one without a newline, logged in full as
 * continuation lines; ctl=1: ESC, CSI (0x9b) and OSC (0x9d) sequences by PRINT and by the
 * UART, which keel's log must show as dots. */
#include "rt/rt.h"

#define HC_PRINT 1

static char buf[4096];

/* PRINT n bytes of buf; check that all were taken. */
static void print(size_t n, const char *what)
{
	u64 r = hypercall(HC_PRINT, (uintptr_t)buf, n, 0, 0);
	check(r == n, "PRINT of %s returns %lld (%u)", what, (long long)r, (u32)n);
}

static void lines(u32 n, char x)
{
	u32 bad = 0;
	for (u32 i = 0; i < n; i++) {
		int k = snprintf(buf, sizeof(buf), "print: %c %05u ", x, i);
		memset(buf + k, x, 80);
		buf[k + 80] = '\n';
		if (hypercall(HC_PRINT, (uintptr_t)buf, (u64)k + 81, 0, 0) != (u64)k + 81)
			bad++;
	}
	check(!bad, "%u lines printed, %u PRINTs short", n, bad);
}

/* Byte i of the long lines: printable, never '.', so the test can rebuild them exactly. */
static char pattern(u32 i)
{
	char c = (char)(0x21 + (i * 7) % 94);
	return c == '.' ? '-' : c;
}

static void long_lines(void)
{
	for (u32 i = 0; i < 1202; i++)
		buf[i] = pattern(i);
	buf[1201] = '\n';
	print(1202, "a 1202-byte line");
	for (u32 i = 0; i < 4096; i++)
		buf[i] = pattern(i + 5);
	print(4096, "4096 bytes without a newline");
}

/* The same hostile text through both paths: keel must log it as "ctl: A.[31mB.31mC..." */
static const char ctl[] = "A\x1b[31mB\x9b"
			  "31mC\x9d"
			  "0;pwned\x07"
			  "D\xc2\x9b"
			  "2JE caf\xc3\xa9\n";

static void controls(void)
{
	memcpy(buf, "ctl: print ", 11);
	memcpy(buf + 11, ctl, sizeof(ctl) - 1);
	print(11 + sizeof(ctl) - 1, "control bytes");
	printf("ctl: uart %s", ctl);
}

int guest_main(void)
{
	u32 n = (u32)cmdline_num("lines", 0);
	if (n)
		lines(n, (char)('a' + cmdline_num("id", 0)));
	if (cmdline_has("long=1"))
		long_lines();
	if (cmdline_has("ctl=1"))
		controls();
	return check_done();
}
