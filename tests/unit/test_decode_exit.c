/* The length decoder for instructions that exit by themselves (decode_exit_insn), which the
 * AMD-V path uses without NRIP-save and string I/O uses for its segment: every intercepted
 * opcode bare and prefixed (segment overrides, 0x66, 0x67, REX, REP, LOCK, stacks of them),
 * ModRM forms with SIB and displacement, truncation at every length, and what it must refuse.
 * Each length was checked against objdump's. */
#include "tests/unit/fakes.h"
#include "exit/decode.h"

#include <stdlib.h>
#include <string.h>

#define R   CPU_MODE_REAL
#define P16 CPU_MODE_PROT16
#define P32 CPU_MODE_PROT32
#define L64 CPU_MODE_LONG64

struct good {
	const char *what;
	enum cpu_mode mode;
	const char *hex;
	struct insn_exit want;
};

#define X(l, as, ...)                                  \
	{                                              \
		.len = l, .addr_size = as, __VA_ARGS__ \
	}

static const struct good goods[] = {
	{"cpuid", L64, "0f a2", X(2, 8)},
	{"ds: cpuid (the issue's case)", L64, "3e 0f a2", X(3, 8, .seg = 0x3e)},
	{"ds: cpuid 32-bit", P32, "3e 0f a2", X(3, 4, .seg = 0x3e)},
	{"rex.w cpuid", L64, "48 0f a2", X(3, 8)},
	{"o16 cpuid", P32, "66 0f a2", X(3, 4)},
	{"a16 cpuid", P32, "67 0f a2", X(3, 2)},
	{"a32 cpuid in real mode", R, "67 0f a2", X(3, 4)},
	{"es cs ss ds fs gs o16 a32 rex cpuid", L64, "26 2e 36 3e 64 65 66 67 41 0f a2",
	 X(11, 4, .seg = 0x65)},
	{"14 prefixes cpuid (15 bytes)", L64, "26 26 26 26 26 26 26 26 26 26 26 26 26 0f a2",
	 X(15, 8, .seg = 0x26)},
	{"rdmsr", P32, "0f 32", X(2, 4)},
	{"fs: rex rdmsr", L64, "64 40 0f 32", X(4, 8, .seg = 0x64)},
	{"wrmsr", L64, "0f 30", X(2, 8)},
	{"o16 gs: wrmsr", P16, "66 65 0f 30", X(4, 2, .seg = 0x65)},
	{"rdtsc", L64, "0f 31", X(2, 8)},
	{"rdpmc", L64, "0f 33", X(2, 8)},
	{"invd", P32, "0f 08", X(2, 4)},
	{"ds: wbinvd", P32, "3e 0f 09", X(3, 4, .seg = 0x3e)},
	{"clts", R, "0f 06", X(2, 2)},
	{"hlt", R, "f4", X(1, 2)},
	{"ds: hlt", L64, "3e f4", X(2, 8, .seg = 0x3e)},
	{"rex.w ss: o16 hlt (REX not last: ignored)", L64, "48 36 66 f4", X(4, 8, .seg = 0x36)},
	{"vmmcall", L64, "0f 01 d9", X(3, 8)},
	{"cs: o16 vmmcall", L64, "2e 66 0f 01 d9", X(5, 8, .seg = 0x2e)},
	{"vmcall", P32, "0f 01 c1", X(3, 4)},
	{"vmrun", L64, "0f 01 d8", X(3, 8)},
	{"a32 vmrun", L64, "67 0f 01 d8", X(4, 4)},
	{"skinit", P32, "0f 01 de", X(3, 4)},
	{"invlpga", L64, "0f 01 df", X(3, 8)},
	{"xsetbv", L64, "0f 01 d1", X(3, 8)},
	{"rex xsetbv", L64, "41 0f 01 d1", X(4, 8)},
	{"monitor", P32, "0f 01 c8", X(3, 4)},
	{"mwait", P32, "0f 01 c9", X(3, 4)},
	{"rdtscp", L64, "0f 01 f9", X(3, 8)},
	{"invlpg [rax]", L64, "0f 01 38", X(3, 8)},
	{"invlpg [rip+disp32]", L64, "0f 01 3d 78 56 34 12", X(7, 8)},
	{"invlpg [rax+rbx*4+disp8]", L64, "0f 01 7c 98 10", X(5, 8)},
	{"invlpg [disp32] (SIB base 5)", P32, "0f 01 3c 25 00 10 00 00", X(8, 4)},
	{"invlpg [bx+si+disp16]", R, "0f 01 b8 34 12", X(5, 2)},
	{"invlpg [disp16]", P16, "0f 01 3e 34 12", X(5, 2)},
	{"a16 invlpg [disp16] in 32-bit code", P32, "67 0f 01 3e 34 12", X(6, 2)},
	{"lmsw ax", R, "0f 01 f0", X(3, 2)},
	{"mov cr0,eax", P32, "0f 22 c0", X(3, 4)},
	{"mov rax,cr3", L64, "0f 20 d8", X(3, 8)},
	{"mov cr8,rax (REX.R)", L64, "44 0f 22 c0", X(4, 8)},
	{"mov cr4 with mod=00 (mod ignored: no SIB, no disp)", P32, "0f 22 24", X(3, 4)},
	{"mov cr0 with mod=10 (mod ignored)", L64, "0f 22 85", X(3, 8)},
	{"mov dr7,rax", L64, "0f 23 f8", X(3, 8)},
	{"ds: mov rax,dr0", L64, "3e 0f 21 c0", X(4, 8, .seg = 0x3e)},
	{"in al,0x60", R, "e4 60", X(2, 2)},
	{"o16 in ax,0x60", P32, "66 e5 60", X(3, 4)},
	{"out 0x80,al", L64, "e6 80", X(2, 8)},
	{"out 0x80,eax", P32, "e7 80", X(2, 4)},
	{"in al,dx", P32, "ec", X(1, 4)},
	{"in eax,dx", L64, "ed", X(1, 8)},
	{"out dx,al", R, "ee", X(1, 2)},
	{"o16 out dx,ax", P32, "66 ef", X(2, 4)},
	{"insb", P32, "6c", X(1, 4)},
	{"rep insd", L64, "f3 6d", X(2, 8, .rep = true)},
	{"a32 rep insb", L64, "67 f3 6c", X(3, 4, .rep = true)},
	{"rep outsb", P32, "f3 6e", X(2, 4, .rep = true)},
	{"repne outsb (F2 repeats too)", P32, "f2 6e", X(2, 4, .rep = true)},
	{"rep fs: outsb", L64, "f3 64 6e", X(3, 8, .seg = 0x64, .rep = true)},
	{"gs: rep outsw", L64, "65 f3 66 6f", X(4, 8, .seg = 0x65, .rep = true)},
	{"a16 es: rep outsd", P32, "67 26 f3 6f", X(4, 2, .seg = 0x26, .rep = true)},
	{"fs: ds: outsb (last override counts)", P32, "64 3e 6e", X(3, 4, .seg = 0x3e)},
	{"a32 outsb in real mode", R, "67 6e", X(2, 4)},
	{"lock cpuid (decodes; the CPU #UDs before any exit)", P32, "f0 0f a2", X(3, 4)},
};

static size_t unhex(const char *hex, u8 *out, size_t max)
{
	size_t n = 0;
	char *end;
	for (const char *s = hex; *s && n < max; s = end)
		out[n++] = (u8)strtoul(s, &end, 16);
	return n;
}

static void check(const struct good *g, const struct insn_exit *got)
{
	const struct insn_exit *w = &g->want;
	if (got->len != w->len || got->seg != w->seg || got->addr_size != w->addr_size ||
	    got->rep != w->rep)
		fail_msg("%s (%s): len %u seg %#x as %u rep %d, want len %u seg %#x as %u rep %d",
			 g->what, g->hex, got->len, got->seg, got->addr_size, got->rep, w->len,
			 w->seg, w->addr_size, w->rep);
}

/* Every form, given exactly, then with trailing bytes: len is where it ends. */
static void test_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(goods); i++) {
		const struct good *g = &goods[i];
		u8 b[32];
		size_t n = unhex(g->hex, b, sizeof(b));
		if (n != g->want.len)
			fail_msg("%s: %zu bytes given, len %u expected", g->what, n, g->want.len);
		struct insn_exit out;
		memset(&out, 0xa5, sizeof(out));
		if (decode_exit_insn(b, n, g->mode, &out) != DECODE_OK)
			fail_msg("%s: not decoded", g->what);
		check(g, &out);
		memset(b, 0x8b, sizeof(b));
		unhex(g->hex, b, sizeof(b));
		if (decode_exit_insn(b, sizeof(b), g->mode, &out) != DECODE_OK)
			fail_msg("%s: not decoded with trailing bytes", g->what);
		check(g, &out);
	}
}

/* Every proper prefix of every form is DECODE_TRUNCATED. */
static void test_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(goods); i++) {
		u8 b[16];
		size_t len = unhex(goods[i].hex, b, sizeof(b));
		for (size_t n = 0; n < len; n++) {
			struct insn_exit out;
			int r = decode_exit_insn(b, n, goods[i].mode, &out);
			if (r != DECODE_TRUNCATED)
				fail_msg("%s: %zu of %zu bytes gave %d", goods[i].what, n, len, r);
		}
	}
}

/* Instructions that never exit to keel by themselves, and instructions too long to exist. */
static void test_unsupported(void **state)
{
	(void)state;
	static const struct {
		enum cpu_mode mode;
		const char *hex;
	} bads[] = {
		{P32, "90"},
		{L64, "0f 05"},
		{P32, "0f 0b"},
		{L64, "8b 03"},
		{P32, "cc"},
		{P32, "cd 80"},
		{L64, "f3 90"},
		{P32, "0f c7 f0"},
		{P32, "6a 00"},
		{L64, "0f 00 00"},
		{P32, "a4"},
		{P32, "48 0f a2"},
		{L64, "26 26 26 26 26 26 26 26 26 26 26 26 26 26 0f a2"},
		{L64, "66 66 66 66 66 66 66 66 66 66 66 0f 01 3d 78 56 34 12"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		u8 b[32];
		size_t n = unhex(bads[i].hex, b, sizeof(b));
		struct insn_exit out;
		int r = decode_exit_insn(b, n, bads[i].mode, &out);
		if (r != DECODE_UNSUPPORTED)
			fail_msg("%s: returned %d", bads[i].hex, r);
	}
}

/* Every ModRM byte after 0F 01 and 0F 22, in every mode, gives a sane length. */
static void test_all_modrm(void **state)
{
	(void)state;
	const enum cpu_mode modes[] = {R, P16, P32, L64};
	for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
		for (unsigned modrm = 0; modrm < 256; modrm++) {
			u8 b[15] = {0x0f, 0x01, (u8)modrm, 0x25, 1, 2, 3, 4};
			struct insn_exit out;
			assert_int_equal(decode_exit_insn(b, sizeof(b), modes[m], &out), DECODE_OK);
			assert_in_range(out.len, 3, 8);
			if ((modrm >> 6) == 3)
				assert_int_equal(out.len, 3);
			b[1] = 0x22;
			assert_int_equal(decode_exit_insn(b, sizeof(b), modes[m], &out), DECODE_OK);
			assert_int_equal(out.len, 3);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_all_modrm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
