/* gdb's registers of a vCPU (mgmt/gdb_regs.c): the layout of 'g' in target.xml's order, the
 * x87 tag word, and the writes refused because no VM entry would take them. */
#include "tests/unit/fakes.h"
#include "mgmt/gdb_regs.h"

#include <stdio.h>
#include <string.h>

static u8 fx[512];

static struct gdb_cpu long_mode_cpu(void)
{
	struct gdb_cpu c = {.fx = fx, .mxcsr_mask = 0xffff};
	memset(fx, 0, sizeof(fx));
	for (int i = 0; i < 16; i++)
		c.s.gpr[i] = 0x1000 + (u64)i; /* by x86 encoding: rax 0x1000, rcx 0x1001... */
	c.s.rip = 0xffffffff81000000ULL;
	c.s.rflags = 0x202;
	c.s.cr0 = 0x80050033;
	c.s.cr3 = 0x1000;
	c.s.cr4 = 0x20;
	c.s.efer = 0x500;
	c.s.cs.sel = 0x10;
	c.s.ss.sel = 0x18;
	c.s.fs.base = 0x7000;
	c.s.kernel_gs_base = 0xffff888000000000ULL;
	fx[24] = 0x80, fx[25] = 0x1f; /* MXCSR 0x1f80 */
	fx[0] = 0x7f, fx[1] = 0x03;   /* FCW 0x37f */
	return c;
}

static u64 le(const u8 *p, u32 n)
{
	u64 v = 0;
	for (u32 i = n; i--;)
		v = v << 8 | p[i];
	return v;
}

/* Where register n starts in 'g'. */
static u32 offset_of(u32 n)
{
	u32 o = 0;
	for (u32 i = 0; i < n; i++)
		o += gdb_reg_size(i);
	return o;
}

static void test_layout(void **state)
{
	(void)state;
	assert_int_equal(offset_of(GDB_NREGS), GDB_G_BYTES);
	assert_int_equal(gdb_reg_size(GDB_RIP), 8);
	assert_int_equal(gdb_reg_size(GDB_EFLAGS), 4);
	assert_int_equal(gdb_reg_size(GDB_ST0 + 7), 10);
	assert_int_equal(gdb_reg_size(GDB_XMM0 + 15), 16);
	assert_int_equal(gdb_reg_size(GDB_EFER), 8);
	assert_int_equal(gdb_reg_size(GDB_NREGS), 0);
	struct gdb_cpu c = long_mode_cpu();
	u8 g[GDB_G_BYTES];
	gdb_regs_get(&c, g);
	/* gdb's order: rax rbx rcx rdx rsi rdi rbp rsp r8..r15 */
	assert_true(le(g + 0, 8) == 0x1000);   /* rax */
	assert_true(le(g + 8, 8) == 0x1003);   /* rbx */
	assert_true(le(g + 16, 8) == 0x1001);  /* rcx */
	assert_true(le(g + 56, 8) == 0x1004);  /* rsp */
	assert_true(le(g + 120, 8) == 0x100f); /* r15 */
	assert_true(le(g + offset_of(GDB_RIP), 8) == 0xffffffff81000000ULL);
	assert_true(le(g + offset_of(GDB_EFLAGS), 4) == 0x202);
	assert_true(le(g + offset_of(GDB_CS), 4) == 0x10);
	assert_true(le(g + offset_of(GDB_CS + 1), 4) == 0x18); /* ss */
	assert_true(le(g + offset_of(GDB_FCTRL), 4) == 0x37f);
	assert_true(le(g + offset_of(GDB_FCTRL + 2), 4) == 0xffff); /* ftag: all empty */
	assert_true(le(g + offset_of(GDB_MXCSR), 4) == 0x1f80);
	assert_true(le(g + offset_of(GDB_FS_BASE), 8) == 0x7000);
	assert_true(le(g + offset_of(GDB_FS_BASE + 2), 8) == 0xffff888000000000ULL);
	assert_true(le(g + offset_of(GDB_CR0), 8) == 0x80050033);
	assert_true(le(g + offset_of(GDB_CR0 + 3), 8) == 0x20); /* cr4 */
	assert_true(le(g + offset_of(GDB_EFER), 8) == 0x500);
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct gdb_cpu c = long_mode_cpu();
	u8 g[GDB_G_BYTES], g2[GDB_G_BYTES];
	gdb_regs_get(&c, g);
	g[0] = 0x42;			   /* rax */
	g[offset_of(GDB_XMM0 + 3)] = 0x99; /* xmm3 */
	assert_null(gdb_regs_set(&c, g));
	assert_true(c.s.gpr[RAX] == 0x1042);
	assert_int_equal(fx[160 + 48], 0x99);
	gdb_regs_get(&c, g2);
	assert_memory_equal(g, g2, sizeof(g));
	u8 v[8] = {0x34, 0x12};
	assert_null(gdb_reg_set(&c, 5, v)); /* rdi */
	assert_true(c.s.gpr[RDI] == 0x1234);
}

static void test_ftag(void **state)
{
	(void)state;
	struct gdb_cpu c = long_mode_cpu();
	/* TOP 7 (FSW bits 13:11): ST(0) is physical register 7, holding 1.0 (valid) */
	fx[2] = 0x00, fx[3] = 0x38;
	fx[4] = 0x80; /* abridged: physical 7 full */
	fx[32 + 7] = 0x80, fx[32 + 8] = 0xff, fx[32 + 9] = 0x3f;
	u8 t[4];
	gdb_reg_get(&c, GDB_FCTRL + 2, t);
	assert_int_equal(le(t, 4), 0x3fff); /* 7: valid (00), others empty */
	fx[32 + 7] = 0, fx[32 + 8] = 0, fx[32 + 9] = 0;
	gdb_reg_get(&c, GDB_FCTRL + 2, t);
	assert_int_equal(le(t, 4), 0x7fff); /* 7: zero (01) */
	u8 w[4] = {0x00, 0xf0, 0, 0};	    /* 0-5 valid, 6-7 empty (11b) */
	assert_null(gdb_reg_set(&c, GDB_FCTRL + 2, w));
	assert_int_equal(fx[4], 0x3f);
}

static void test_refused(void **state)
{
	(void)state;
	struct gdb_cpu c = long_mode_cpu();
	struct vcpu_arch_state before = c.s;
	u8 v[8] = {0};
	v[0] = 0x08; /* eflags with reserved bit 3 and without bit 1 */
	assert_non_null(gdb_reg_set(&c, GDB_EFLAGS, v));
	u8 rip[8] = {0, 0, 0, 0, 0, 0, 0x80, 0}; /* 0x0080000000000000: not canonical */
	assert_non_null(gdb_reg_set(&c, GDB_RIP, rip));
	u8 sel[4] = {0x33};
	assert_non_null(gdb_reg_set(&c, GDB_CS, sel)); /* a selector alone is no descriptor */
	u8 same[4] = {0x10};
	assert_null(gdb_reg_set(&c, GDB_CS, same)); /* gdb writes back what it read */
	u8 cr0[8] = {0x00, 0, 0, 0x80};		    /* PG without PE */
	assert_non_null(gdb_reg_set(&c, GDB_CR0, cr0));
	u8 efer[8] = {0x00, 0x01}; /* LME without LMA while paging */
	assert_non_null(gdb_reg_set(&c, GDB_EFER, efer));
	u8 mx[4] = {0, 0, 1, 0}; /* MXCSR bit 16: reserved */
	c.mxcsr_mask = 0xffff;
	assert_non_null(gdb_reg_set(&c, GDB_MXCSR, mx));
	assert_non_null(gdb_reg_set(&c, GDB_NREGS, v));
	assert_memory_equal(&before, &c.s, sizeof(before)); /* nothing changed */
	/* a refused 'G' changes nothing either */
	u8 g[GDB_G_BYTES];
	gdb_regs_get(&c, g);
	g[0] = 0x55;
	g[offset_of(GDB_RIP) + 6] = 0x80;
	assert_non_null(gdb_regs_set(&c, g));
	assert_true(c.s.gpr[RAX] == 0x1000);
}

static void test_xml(void **state)
{
	(void)state;
	u32 n;
	const char *x = gdb_target_xml(&n);
	assert_int_equal(strlen(x), n);
	assert_non_null(strstr(x, "<architecture>i386:x86-64</architecture>"));
	assert_non_null(strstr(x, "org.gnu.gdb.i386.core"));
	assert_non_null(strstr(x, "org.gnu.gdb.i386.sse"));
	/* the registers appear in the order of their numbers, with their sizes */
	const char *names[] = {
		"rax",	 "rbx",	    "rcx",     "rdx",	    "rsi",   "rdi",   "rbp",   "rsp",
		"r8",	 "r9",	    "r10",     "r11",	    "r12",   "r13",   "r14",   "r15",
		"rip",	 "eflags",  "cs",      "ss",	    "ds",    "es",    "fs",    "gs",
		"st0",	 "st1",	    "st2",     "st3",	    "st4",   "st5",   "st6",   "st7",
		"fctrl", "fstat",   "ftag",    "fiseg",	    "fioff", "foseg", "fooff", "fop",
		"xmm0",	 "xmm1",    "xmm2",    "xmm3",	    "xmm4",  "xmm5",  "xmm6",  "xmm7",
		"xmm8",	 "xmm9",    "xmm10",   "xmm11",	    "xmm12", "xmm13", "xmm14", "xmm15",
		"mxcsr", "fs_base", "gs_base", "k_gs_base", "cr0",   "cr2",   "cr3",   "cr4",
		"cr8",	 "efer"};
	assert_int_equal(sizeof(names) / sizeof(names[0]), GDB_NREGS);
	const char *p = x;
	for (u32 i = 0; i < GDB_NREGS; i++) {
		char want[64];
		snprintf(want, sizeof(want), "<reg name=\"%s\" bitsize=\"%u\"", names[i],
			 8 * gdb_reg_size(i));
		const char *at = strstr(x, want);
		assert_non_null(at);
		assert_true(at > p || i == 0);
		p = at;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout), cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_ftag),   cmocka_unit_test(test_refused),
		cmocka_unit_test(test_xml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
