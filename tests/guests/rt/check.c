/* Test-guest reporting: PASS/FAIL lines and the exit status they add up to; fw_cfg reads. */
#include "rt.h"

static unsigned nchecks, nfailed;

bool check(bool ok, const char *fmt, ...)
{
	va_list ap;
	nchecks++;
	nfailed += !ok;
	puts(ok ? "PASS: " : "FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putc('\n');
	return ok;
}

int check_done(void)
{
	printf("%s: %u checks, %u failed\n", nfailed ? "FAILED" : "PASSED", nchecks, nfailed);
	return nfailed ? 1 : 0;
}

u64 fwcfg_read(u16 key, unsigned n)
{
	u64 v = 0;
	outw(0x510, key); /* select the item; the data port then reads it from its start */
	for (unsigned i = 0; i < n && i < 8; i++)
		v |= (u64)inb(0x511) << (8 * i);
	return v;
}
