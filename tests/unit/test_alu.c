/* The ALU and bit-test forms on device memory, one case per form: decode_insn() gives the
 * length, the operand size and the direction, insn_alu() the values written and the RFLAGS
 * left (SDM vol. 1 appendix A; vol. 2 per instruction). Each expected RFLAGS was worked out by
 * hand and checked against a real CPU. */
#include "tests/unit/fakes.h"
#include "exit/alu.h"

#include <stdlib.h>
#include <string.h>

#define P32 CPU_MODE_PROT32
#define L64 CPU_MODE_LONG64
#define R   CPU_MODE_REAL

/* The six arithmetic flags, CF PF AF ZF SF OF; the other RFLAGS bits must pass through. */
#define ARITH 0x8d5ull
#define OTHER 0x202ull /* IF and the fixed bit 1 */

/* One form: its bytes, the memory and register (or immediate) before, and what must follow. */
struct form {
	const char *what;
	enum cpu_mode mode;
	const char *hex;
	u8 len, size;
	bool to_reg;
	u64 mem, reg, fl_in;	      /* fl_in: arithmetic flags before */
	u64 mem_out, reg_out, fl_out; /* mem_out/reg_out only where written */
	bool mem_write, reg_write;
};

#define MEMW(m) .mem_out = (m), .mem_write = true
#define REGW(r) .reg_out = (r), .reg_write = true

static const struct form forms[] = {
	{"add [eax],cl: carry out, zero", P32, "00 08", 2, 1, false, 0xff, 1, 0, MEMW(0),
	 .fl_out = 0x55},
	{"add [eax],ecx: signed overflow", P32, "01 08", 2, 4, false, 0x7fffffff, 1, 0,
	 MEMW(0x80000000), .fl_out = 0x894},
	{"add cl,[eax]: byte overflow", P32, "02 08", 2, 1, true, 0x80, 0x80, 0, REGW(0),
	 .fl_out = 0x845},
	{"add ecx,[eax]: clears all six", P32, "03 08", 2, 4, true, 3, 5, ARITH, REGW(8),
	 .fl_out = 0},
	{"or [bx],ax", R, "09 07", 2, 2, false, 0x100, 1, ARITH, MEMW(0x101), .fl_out = 0},
	{"adc [rax],r9: CF in", L64, "4c 11 08", 3, 8, false, ~0ull, 0, 0x1, MEMW(0),
	 .fl_out = 0x55},
	{"sbb [rax],ah: borrow in", L64, "18 20", 2, 1, false, 0, 0, 0x1, MEMW(0xff),
	 .fl_out = 0x95},
	{"and r10d,[rip+d32]", L64, "44 23 15 00 01 00 00", 7, 4, true, 0xff0f, 0x0f0f, 0,
	 REGW(0x0f0f), .fl_out = 0x4},
	{"sub [esp+8],edx: signed overflow", P32, "29 54 24 08", 4, 4, false, 0x80000000, 1, 0,
	 MEMW(0x7fffffff), .fl_out = 0x814},
	{"xor [rax],dil", L64, "40 30 38", 3, 1, false, 0xaa, 0x55, 0, MEMW(0xff), .fl_out = 0x84},
	{"cmp eax,[ebx]: below, no write", P32, "3b 03", 2, 4, true, 5, 3, 0, .fl_out = 0x91},
	{"cmp [rbx],ax: equal, no write", L64, "66 39 03", 3, 2, false, 0x1234, 0x1234, 0,
	 .fl_out = 0x44},
	{"lock or [rax],ecx", L64, "f0 09 08", 3, 4, false, 0, 0, 0, MEMW(0), .fl_out = 0x44},
	{"or byte [eax],0x80", P32, "80 08 80", 3, 1, false, 1, 0, ARITH, MEMW(0x81),
	 .fl_out = 0x84},
	{"and dword [eax+0x300],imm32", P32, "81 a0 00 03 00 00 ff ff fe ff", 10, 4, false, 0x10001,
	 0, 0, MEMW(1), .fl_out = 0},
	{"add qword [rax],imm32<0", L64, "48 81 00 00 00 00 80", 7, 8, false, 0x80000000, 0, 0,
	 MEMW(0), .fl_out = 0x45},
	{"sub word [bx],imm16", R, "81 2f 34 12", 4, 2, false, 0x1234, 0, 0, MEMW(0),
	 .fl_out = 0x44},
	{"or dword [eax],-1 (83)", P32, "83 08 ff", 3, 4, false, 0, 0, 0, MEMW(0xffffffff),
	 .fl_out = 0x84},
	{"and word [rax],-2 (83)", L64, "66 83 20 fe", 4, 2, false, 3, 0, 0, MEMW(2), .fl_out = 0},
	{"cmp qword [rax],-1 (83)", L64, "48 83 38 ff", 4, 8, false, 0, 0, 0, .fl_out = 0x11},
	{"xor dword [rax],0x10 (83)", L64, "83 30 10", 3, 4, false, 0x10, 0, 0, MEMW(0),
	 .fl_out = 0x44},
	{"adc byte [rax],1", L64, "80 10 01", 3, 1, false, 0x7f, 0, 0, MEMW(0x80), .fl_out = 0x890},
	{"sbb dword [ebp+4],1 (83)", P32, "83 5d 04 01", 4, 4, false, 1, 0, 0x1, MEMW(0xffffffff),
	 .fl_out = 0x95},
	{"test [eax],cl", P32, "84 08", 2, 1, false, 0xf0, 0x0f, 0, .fl_out = 0x44},
	{"test [rax],r8", L64, "4c 85 00", 3, 8, false, 1ull << 63, 1ull << 63, 0, .fl_out = 0x84},
	{"test byte [eax],0x40", P32, "f6 00 40", 3, 1, false, 0x40, 0, ARITH, .fl_out = 0},
	{"test dword [eax],imm32", P32, "f7 00 00 00 00 80", 6, 4, false, 0x80000001, 0, 0,
	 .fl_out = 0x84},
	{"test word [bx],imm16", R, "f7 07 01 80", 4, 2, false, 0x8000, 0, 0, .fl_out = 0x84},
	{"gs: add [0x10],eax", L64, "65 01 04 25 10 00 00 00", 8, 4, false, 1, 1, 0, MEMW(2),
	 .fl_out = 0},
	{"fs: or byte [ebx],1", P32, "64 80 0b 01", 4, 1, false, 0xfe, 0, 0, MEMW(0xff),
	 .fl_out = 0x84},
	/* Bit tests: CF is the bit, ZF is kept, the other four (undefined) are kept too. */
	{"bt [eax],ecx: offset 33 is bit 1", P32, "0f a3 08", 3, 4, false, 2, 33, 0, .fl_out = 1},
	{"bts [rax],rdx: offset -1 is bit 63", L64, "48 0f ab 10", 4, 8, false, 0, ~0ull, 0x1,
	 MEMW(1ull << 63), .fl_out = 0},
	{"btr [bx],ax", R, "0f b3 07", 3, 2, false, 0xffff, 0, 0x40, MEMW(0xfffe), .fl_out = 0x41},
	{"btc [rax],r9d", L64, "44 0f bb 08", 4, 4, false, 0, 4, 0, MEMW(0x10), .fl_out = 0},
	{"bt dword [eax],31", P32, "0f ba 20 1f", 4, 4, false, 0x80000000, 0, 0x8d4,
	 .fl_out = 0x8d5},
	{"bts qword [rax],63", L64, "48 0f ba 28 3f", 5, 8, false, 0, 0, 0x1, MEMW(1ull << 63),
	 .fl_out = 0},
	{"btr word [bx+2],0x8f: bit 15", R, "0f ba 77 02 8f", 5, 2, false, 0x8001, 0, 0x40, MEMW(1),
	 .fl_out = 0x41},
	{"btc dword [rip+d32],5", L64, "0f ba 3d 00 01 00 00 05", 8, 4, false, 0x20, 0, 0, MEMW(0),
	 .fl_out = 1},
};

/* "00 08" -> bytes; returns how many. */
static size_t unhex(const char *hex, u8 *out, size_t max)
{
	size_t n = 0;
	char *end;
	for (const char *s = hex; *s && n < max; s = end)
		out[n++] = (u8)strtoul(s, &end, 16);
	return n;
}

/* Decode one form and run it; every mismatch names the form. */
static void run_form(const struct form *f)
{
	u8 b[16];
	size_t n = unhex(f->hex, b, sizeof(b));
	struct insn in;
	if (decode_insn(b, n, f->mode, &in) != DECODE_OK)
		fail_msg("%s: does not decode", f->what);
	if (in.len != f->len || in.size != f->size || in.to_reg != f->to_reg)
		fail_msg("%s: len %u size %u to_reg %d", f->what, in.len, in.size, in.to_reg);
	struct alu_io io = {
		.mem = f->mem, .reg = in.imm_src ? in.imm : f->reg, .rflags = OTHER | f->fl_in};
	insn_alu(&in, &io);
	if (io.mem_write != f->mem_write || (f->mem_write && io.mem != f->mem_out))
		fail_msg("%s: memory %#llx written %d", f->what, (unsigned long long)io.mem,
			 io.mem_write);
	if (io.reg_write != f->reg_write || (f->reg_write && io.reg != f->reg_out))
		fail_msg("%s: register %#llx written %d", f->what, (unsigned long long)io.reg,
			 io.reg_write);
	if (io.rflags != (OTHER | f->fl_out))
		fail_msg("%s: rflags %#llx, want %#llx", f->what, (unsigned long long)io.rflags,
			 (unsigned long long)(OTHER | f->fl_out));
}

static void test_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++)
		run_form(&forms[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
