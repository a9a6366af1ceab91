/* The MMIO instruction decoder: every supported form in each mode, prefixes, ModRM/SIB/disp
 * shapes, immediates, truncation at every length, and what it must refuse. Each form's length
 * was checked against objdump's. */
#include "tests/unit/fakes.h"
#include "exit/decode.h"

#include <stdlib.h>
#include <string.h>

#define R   CPU_MODE_REAL
#define P16 CPU_MODE_PROT16
#define P32 CPU_MODE_PROT32
#define L64 CPU_MODE_LONG64

#define LD   INSN_LOAD
#define ST   INSN_STORE
#define ZX   INSN_MOVZX
#define SX   INSN_MOVSX
#define XC   INSN_XCHG
#define STOS INSN_STOS
#define MOVS INSN_MOVS

/* An expected struct insn: INSN(op, len, size, reg_size, reg, addr_size, more fields); the
 * fields not named are 0. */
#define INSN(o, l, sz, rsz, r, as, ...)                                                    \
	{                                                                                  \
		.op = o, .len = l, .size = sz, .reg_size = rsz, .reg = r, .addr_size = as, \
		__VA_ARGS__                                                                \
	}
#define IMM(l, sz, v, as)	  INSN(INSN_STORE_IMM, l, sz, sz, 0, as, .imm = v)
#define ALU(l, sz, r, a, as, ...) INSN(INSN_ALU, l, sz, sz, r, as, .alu = a, __VA_ARGS__)
#define ALUI(l, sz, a, as, v, ...) \
	INSN(INSN_ALU, l, sz, sz, 0, as, .alu = a, .imm_src = true, .imm = v, __VA_ARGS__)
#define BT(l, sz, r, a, as)  INSN(INSN_BT, l, sz, sz, r, as, .alu = a)
#define BTI(l, sz, a, as, v) INSN(INSN_BT, l, sz, sz, 0, as, .alu = a, .imm_src = true, .imm = v)

/* One instruction that decodes: its bytes in hex and every field expected. */
struct good {
	const char *what;
	enum cpu_mode mode;
	const char *hex;
	struct insn want;
};

static const struct good goods[] = {
	/* 16-bit code: real mode and 16-bit protected mode decode alike (SDM table 2-1). */
	{"mov ax,[bx+0x1234]", R, "8b 87 34 12", INSN(LD, 4, 2, 2, 0, 2)},
	{"mov ax,[bx+0x1234] p16", P16, "8b 87 34 12", INSN(LD, 4, 2, 2, 0, 2)},
	{"mov ax,[0x1234]", R, "8b 06 34 12", INSN(LD, 4, 2, 2, 0, 2)},
	{"mov ax,[bx]", R, "8b 07", INSN(LD, 2, 2, 2, 0, 2)},
	{"mov ax,[si] (rm=4, no SIB)", P16, "8b 04", INSN(LD, 2, 2, 2, 0, 2)},
	{"mov ax,[di+disp8] (rm=5)", P16, "8b 45 10", INSN(LD, 3, 2, 2, 0, 2)},
	{"mov ax,[bp+0]", R, "8b 46 00", INSN(LD, 3, 2, 2, 0, 2)},
	{"mov ax,[bx+si-1]", R, "8b 40 ff", INSN(LD, 3, 2, 2, 0, 2)},
	{"mov ax,[bx+si+0x8000]", R, "8b 80 00 80", INSN(LD, 4, 2, 2, 0, 2)},
	{"mov di,[bp+di+0x10]", P16, "8b 7b 10", INSN(LD, 3, 2, 2, 7, 2)},
	{"mov [si],cx", P16, "89 0c", INSN(ST, 2, 2, 2, 1, 2)},
	{"mov [si],ecx", P16, "66 89 0c", INSN(ST, 3, 4, 4, 1, 2)},
	{"mov ah,[bx+5]", R, "8a 67 05", INSN(LD, 3, 1, 1, 0, 2, .high8 = true)},
	{"mov [bx],dl", R, "88 17", INSN(ST, 2, 1, 1, 2, 2)},
	{"es: mov [bx],bh", R, "26 88 3f", INSN(ST, 3, 1, 1, 3, 2, .high8 = true, .seg = 0x26)},
	{"a32 mov [esp],cx", R, "67 89 0c 24", INSN(ST, 4, 2, 2, 1, 4)},
	{"a32 mov ax,[disp32]", R, "67 8b 05 78 56 34 12", INSN(LD, 7, 2, 2, 0, 4)},
	{"mov ax,[moffs16]", R, "a1 34 12", INSN(LD, 3, 2, 2, 0, 2)},
	{"mov al,[moffs16]", P16, "a0 34 12", INSN(LD, 3, 1, 1, 0, 2)},
	{"mov [moffs16],al", R, "a2 34 12", INSN(ST, 3, 1, 1, 0, 2)},
	{"a32 mov [moffs32],ax", R, "67 a3 78 56 34 12", INSN(ST, 6, 2, 2, 0, 4)},
	{"o32 mov [moffs16],eax", R, "66 a3 34 12", INSN(ST, 4, 4, 4, 0, 2)},
	{"mov byte [0x1234],0xab", R, "c6 06 34 12 ab", IMM(5, 1, 0xab, 2)},
	{"mov word [bx+2],0xabcd", P16, "c7 47 02 cd ab", IMM(5, 2, 0xabcd, 2)},
	{"mov dword [bx+2],imm32", R, "66 c7 47 02 78 56 34 12", IMM(8, 4, 0x12345678, 2)},
	{"movzx ax,byte [bx]", R, "0f b6 07", INSN(ZX, 3, 1, 2, 0, 2)},
	{"movzx eax,word [bx+0x10]", R, "66 0f b7 47 10", INSN(ZX, 5, 2, 4, 0, 2)},
	{"movsx sp,byte [bx]", P16, "0f be 27", INSN(SX, 3, 1, 2, 4, 2)},
	{"movsx dx,word [0x1234]", P16, "0f bf 16 34 12", INSN(SX, 5, 2, 2, 2, 2)},
	{"xchg [0x1000],bx", R, "87 1e 00 10", INSN(XC, 4, 2, 2, 3, 2)},
	{"xchg [bx],ch", R, "86 2f", INSN(XC, 2, 1, 1, 1, 2, .high8 = true)},
	{"rep movsw", R, "f3 a5", INSN(MOVS, 2, 2, 2, 0, 2, .rep = true)},
	{"rep stosd", P16, "f3 66 ab", INSN(STOS, 3, 4, 4, 0, 2, .rep = true)},
	{"stosb", R, "aa", INSN(STOS, 1, 1, 1, 0, 2)},
	{"a32 movsb", R, "67 a4", INSN(MOVS, 2, 1, 1, 0, 4)},

	/* 32-bit code: SIB and disp32 (SDM tables 2-2, 2-3), and a16 forms. */
	{"mov eax,[ebx]", P32, "8b 03", INSN(LD, 2, 4, 4, 0, 4)},
	{"mov ax,[ebx]", P32, "66 8b 03", INSN(LD, 3, 2, 2, 0, 4)},
	{"mov [esp],eax", P32, "89 04 24", INSN(ST, 3, 4, 4, 0, 4)},
	{"mov [esp+8],eax", P32, "89 44 24 08", INSN(ST, 4, 4, 4, 0, 4)},
	{"mov [esp+0x100],eax", P32, "89 84 24 00 01 00 00", INSN(ST, 7, 4, 4, 0, 4)},
	{"mov eax,[disp32+no base]", P32, "8b 04 25 00 00 fe fe", INSN(LD, 7, 4, 4, 0, 4)},
	{"mov eax,[ecx*4+disp32]", P32, "8b 04 8d 00 10 00 00", INSN(LD, 7, 4, 4, 0, 4)},
	{"mov eax,[ebp+eax+8] (SIB base 5, mod 1)", P32, "8b 44 05 08", INSN(LD, 4, 4, 4, 0, 4)},
	{"mov eax,[ebp+eax+disp32]", P32, "8b 84 05 00 01 00 00", INSN(LD, 7, 4, 4, 0, 4)},
	{"mov edx,[0xfee00000]", P32, "8b 15 00 00 e0 fe", INSN(LD, 6, 4, 4, 2, 4)},
	{"mov edi,[ebp+disp32]", P32, "8b bd 00 01 00 00", INSN(LD, 6, 4, 4, 7, 4)},
	{"a16 mov eax,[bx+0x1234]", P32, "67 8b 87 34 12", INSN(LD, 5, 4, 4, 0, 2)},
	{"mov eax,[moffs32]", P32, "a1 00 00 e0 fe", INSN(LD, 5, 4, 4, 0, 4)},
	{"mov al,[moffs32]", P32, "a0 00 00 e0 fe", INSN(LD, 5, 1, 1, 0, 4)},
	{"mov [moffs32],al", P32, "a2 00 00 e0 fe", INSN(ST, 5, 1, 1, 0, 4)},
	{"mov [moffs32],ax", P32, "66 a3 00 00 e0 fe", INSN(ST, 6, 2, 2, 0, 4)},
	{"a16 mov eax,[moffs16]", P32, "67 a1 34 12", INSN(LD, 4, 4, 4, 0, 2)},
	{"mov dword [0xfee00000],1", P32, "c7 05 00 00 e0 fe 01 00 00 00", IMM(10, 4, 0x1, 4)},
	{"mov [eax+0x300],-1", P32, "c7 80 00 03 00 00 ff ff ff ff", IMM(10, 4, 0xffffffff, 4)},
	{"mov dword [esp+4],imm32", P32, "c7 44 24 04 78 56 34 12", IMM(8, 4, 0x12345678, 4)},
	{"mov word [eax],0xffff", P32, "66 c7 00 ff ff", IMM(5, 2, 0xffff, 4)},
	{"mov byte [eax],0x80", P32, "c6 00 80", IMM(3, 1, 0x80, 4)},
	{"mov [eax],ah", P32, "88 20", INSN(ST, 2, 1, 1, 0, 4, .high8 = true)},
	{"mov bh,[esp]", P32, "8a 3c 24", INSN(LD, 3, 1, 1, 3, 4, .high8 = true)},
	{"mov dh,[esi+1]", P32, "8a 76 01", INSN(LD, 3, 1, 1, 2, 4, .high8 = true)},
	{"movsx eax,byte [eax]", P32, "0f be 00", INSN(SX, 3, 1, 4, 0, 4)},
	{"movsx ecx,word [eax]", P32, "0f bf 08", INSN(SX, 3, 2, 4, 1, 4)},
	{"movsx ax,byte [eax]", P32, "66 0f be 00", INSN(SX, 4, 1, 2, 0, 4)},
	{"movzx esi,byte [0xfee00000]", P32, "0f b6 35 00 00 e0 fe", INSN(ZX, 7, 1, 4, 6, 4)},
	{"movzx ebx,word [ebx]", P32, "0f b7 1b", INSN(ZX, 3, 2, 4, 3, 4)},
	{"xchg [ebx],al", P32, "86 03", INSN(XC, 2, 1, 1, 0, 4)},
	{"lock xchg [ebx],eax", P32, "f0 87 03", INSN(XC, 3, 4, 4, 0, 4)},
	{"rep stosd", P32, "f3 ab", INSN(STOS, 2, 4, 4, 0, 4, .rep = true)},
	{"repne movsb", P32, "f2 a4", INSN(MOVS, 2, 1, 1, 0, 4, .rep = true)},
	{"a16 rep movsb", P32, "67 f3 a4", INSN(MOVS, 3, 1, 1, 0, 2, .rep = true)},
	{"movsd (no rep)", P32, "a5", INSN(MOVS, 1, 4, 4, 0, 4)},
	{"stosw", P32, "66 ab", INSN(STOS, 2, 2, 2, 0, 4)},
	{"fs: mov eax,[eax]", P32, "64 8b 00", INSN(LD, 3, 4, 4, 0, 4, .seg = 0x64)},
	{"cs: ds: mov: the last wins", P32, "2e 3e 8b 00", INSN(LD, 4, 4, 4, 0, 4, .seg = 0x3e)},
	{"ss: mov", P32, "36 89 00", INSN(ST, 3, 4, 4, 0, 4, .seg = 0x36)},
	{"rep on a MOV is not a count", P32, "f3 89 03", INSN(ST, 3, 4, 4, 0, 4)},
	{"gs o16 a16 rep", P32, "65 66 67 f3 ab",
	 INSN(STOS, 5, 2, 2, 0, 2, .rep = true, .seg = 0x65)},
	{"15 bytes", P32, "66 66 66 66 66 66 66 66 66 66 66 66 66 8b 03", INSN(LD, 15, 2, 2, 0, 4)},

	/* 64-bit code: REX, RIP-relative, moffs64, sign-extended imm32, MOVSXD. */
	{"mov eax,[rbx]", L64, "8b 03", INSN(LD, 2, 4, 4, 0, 8)},
	{"mov rax,[rbx]", L64, "48 8b 03", INSN(LD, 3, 8, 8, 0, 8)},
	{"mov r8,[rbx] (REX.WR)", L64, "4c 8b 03", INSN(LD, 3, 8, 8, 8, 8)},
	{"mov r15d,[rbx] (REX.R)", L64, "44 8b 3b", INSN(LD, 3, 4, 4, 15, 8)},
	{"mov eax,[r11] (REX.B)", L64, "41 8b 03", INSN(LD, 3, 4, 4, 0, 8)},
	{"mov eax,[rax+r12] (REX.X)", L64, "42 8b 04 20", INSN(LD, 4, 4, 4, 0, 8)},
	{"mov eax,[r13+0] (REX.B rm=5 mod=1)", L64, "41 8b 45 00", INSN(LD, 4, 4, 4, 0, 8)},
	{"mov eax,[r12] (REX.B rm=4: SIB)", L64, "41 8b 04 24", INSN(LD, 4, 4, 4, 0, 8)},
	{"mov eax,[disp32] REX.B", L64, "41 8b 04 25 00 10 00 00", INSN(LD, 8, 4, 4, 0, 8)},
	{"mov eax,[rip+disp32]", L64, "8b 05 78 56 34 12", INSN(LD, 6, 4, 4, 0, 8)},
	{"rip-rel REX.B", L64, "41 8b 05 78 56 34 12", INSN(LD, 7, 4, 4, 0, 8)},
	{"mov eax,[eip+disp32]", L64, "67 8b 05 78 56 34 12", INSN(LD, 7, 4, 4, 0, 4)},
	{"mov ax,[rbx]", L64, "66 8b 03", INSN(LD, 3, 2, 2, 0, 8)},
	{"REX.W beats 66", L64, "66 48 8b 03", INSN(LD, 4, 8, 8, 0, 8)},
	{"REX before 66 is ignored", L64, "48 66 8b 03", INSN(LD, 4, 2, 2, 0, 8)},
	{"REX before gs: ignored", L64, "4c 65 8b 03", INSN(LD, 4, 4, 4, 0, 8, .seg = 0x65)},
	{"only the last REX counts", L64, "48 40 8b 03", INSN(LD, 4, 4, 4, 0, 8)},
	{"ignored REX leaves AH", L64, "4c 66 88 20", INSN(ST, 4, 1, 1, 0, 8, .high8 = true)},
	{"mov eax,[ebx]", L64, "67 8b 03", INSN(LD, 3, 4, 4, 0, 4)},
	{"mov [rax],ah", L64, "88 20", INSN(ST, 2, 1, 1, 0, 8, .high8 = true)},
	{"mov [rax],spl", L64, "40 88 20", INSN(ST, 3, 1, 1, 4, 8)},
	{"mov dil,[rdi]", L64, "40 8a 3f", INSN(LD, 3, 1, 1, 7, 8)},
	{"mov [rax],r12b", L64, "44 88 20", INSN(ST, 3, 1, 1, 12, 8)},
	{"mov sil,[rax] (REX.W on a byte op)", L64, "48 8a 30", INSN(LD, 3, 1, 1, 6, 8)},
	{"mov rax,[moffs64]", L64, "48 a1 01 02 03 04 05 06 07 08", INSN(LD, 10, 8, 8, 0, 8)},
	{"mov [moffs64],eax", L64, "a3 01 02 03 04 05 06 07 08", INSN(ST, 9, 4, 4, 0, 8)},
	{"mov [moffs64],al", L64, "a2 01 02 03 04 05 06 07 08", INSN(ST, 9, 1, 1, 0, 8)},
	{"mov al,[moffs64]", L64, "a0 01 02 03 04 05 06 07 08", INSN(LD, 9, 1, 1, 0, 8)},
	{"a32 mov eax,[moffs32]", L64, "67 a1 01 02 03 04", INSN(LD, 6, 4, 4, 0, 4)},
	{"o16 mov [moffs64],ax", L64, "66 a3 01 02 03 04 05 06 07 08", INSN(ST, 10, 2, 2, 0, 8)},
	{"mov dword [rax],imm32", L64, "c7 00 78 56 34 12", IMM(6, 4, 0x12345678, 8)},
	{"mov dword [rax],0x80000000", L64, "c7 00 00 00 00 80", IMM(6, 4, 0x80000000, 8)},
	{"mov qword [rax],-1", L64, "48 c7 00 ff ff ff ff", IMM(7, 8, 0xffffffffffffffffull, 8)},
	{"imm32 < 0", L64, "48 c7 00 00 00 00 80", IMM(7, 8, 0xffffffff80000000ull, 8)},
	{"mov qword [rax],0x7fffffff", L64, "48 c7 00 ff ff ff 7f", IMM(7, 8, 0x7fffffff, 8)},
	{"mov word [rax],0x1234", L64, "66 c7 00 34 12", IMM(5, 2, 0x1234, 8)},
	{"mov qword [rip+0x10],1", L64, "48 c7 05 10 00 00 00 01 00 00 00", IMM(11, 8, 0x1, 8)},
	{"mov byte [rip+0x10],0xab", L64, "c6 05 10 00 00 00 ab", IMM(7, 1, 0xab, 8)},
	{"mov byte [r12+8],0xff", L64, "41 c6 44 24 08 ff", IMM(6, 1, 0xff, 8)},
	{"movzx rax,byte [rax]", L64, "48 0f b6 00", INSN(ZX, 4, 1, 8, 0, 8)},
	{"movzx esp,byte [rax] (not AH)", L64, "0f b6 20", INSN(ZX, 3, 1, 4, 4, 8)},
	{"movzx eax,word [rax]", L64, "0f b7 00", INSN(ZX, 3, 2, 4, 0, 8)},
	{"movsx r9,word [rax]", L64, "4c 0f bf 08", INSN(SX, 4, 2, 8, 9, 8)},
	{"movsx r10d,byte [rip+disp32]", L64, "44 0f be 15 01 02 03 04", INSN(SX, 8, 1, 4, 10, 8)},
	{"movsxd rax,[rbx]", L64, "48 63 03", INSN(SX, 3, 4, 8, 0, 8)},
	{"movsxd r8,[rsp]", L64, "4c 63 04 24", INSN(SX, 4, 4, 8, 8, 8)},
	{"movsxd eax,[rbx] is a load", L64, "63 03", INSN(LD, 2, 4, 4, 0, 8)},
	{"movsxd ax,[rbx] is a load", L64, "66 63 03", INSN(LD, 3, 2, 2, 0, 8)},
	{"xchg [rbx],rax", L64, "48 87 03", INSN(XC, 3, 8, 8, 0, 8)},
	{"xchg [rbx],ah", L64, "86 23", INSN(XC, 2, 1, 1, 0, 8, .high8 = true)},
	{"lock xchg [rbx],r9", L64, "f0 4c 87 0b", INSN(XC, 4, 8, 8, 9, 8)},
	{"rep stosq", L64, "f3 48 ab", INSN(STOS, 3, 8, 8, 0, 8, .rep = true)},
	{"a32 rep movsb", L64, "f3 67 a4", INSN(MOVS, 3, 1, 1, 0, 4, .rep = true)},
	{"movsq", L64, "48 a5", INSN(MOVS, 2, 8, 8, 0, 8)},
	{"stosb", L64, "aa", INSN(STOS, 1, 1, 1, 0, 8)},
	{"mov rax,gs:[0x28]", L64, "65 48 8b 04 25 28 00 00 00",
	 INSN(LD, 9, 8, 8, 0, 8, .seg = 0x65)},
	{"6 prefixes", L64, "2e 66 67 f3 f0 64 41 89 07", INSN(ST, 9, 2, 2, 0, 4, .seg = 0x64)},
	{"mov r14,[r9+r10*8+d32]", L64, "4f 8b b4 d1 00 01 00 00", INSN(LD, 8, 8, 8, 14, 8)},

	/* ALU forms with memory (SDM vol. 2 table A-2, group 1 in table A-6); exit/alu.c's own
	 * test checks what each computes. */
	{"add [eax],cl", P32, "00 08", ALU(2, 1, 1, ALU_ADD, 4)},
	{"add [eax],ecx", P32, "01 08", ALU(2, 4, 1, ALU_ADD, 4)},
	{"add cl,[eax]", P32, "02 08", ALU(2, 1, 1, ALU_ADD, 4, .to_reg = true)},
	{"add ecx,[eax]", P32, "03 08", ALU(2, 4, 1, ALU_ADD, 4, .to_reg = true)},
	{"or [bx],ax", R, "09 07", ALU(2, 2, 0, ALU_OR, 2)},
	{"adc [rax],r9", L64, "4c 11 08", ALU(3, 8, 9, ALU_ADC, 8)},
	{"sbb [rax],ah", L64, "18 20", ALU(2, 1, 0, ALU_SBB, 8, .high8 = true)},
	{"and r10d,[rip+d32]", L64, "44 23 15 00 01 00 00",
	 ALU(7, 4, 10, ALU_AND, 8, .to_reg = true)},
	{"sub [esp+8],edx", P32, "29 54 24 08", ALU(4, 4, 2, ALU_SUB, 4)},
	{"xor [rax],dil", L64, "40 30 38", ALU(3, 1, 7, ALU_XOR, 8)},
	{"cmp eax,[ebx]", P32, "3b 03", ALU(2, 4, 0, ALU_CMP, 4, .to_reg = true)},
	{"cmp [rbx],ax", L64, "66 39 03", ALU(3, 2, 0, ALU_CMP, 8)},
	{"lock or [rax],ecx", L64, "f0 09 08", ALU(3, 4, 1, ALU_OR, 8)},
	{"or byte [eax],0x80", P32, "80 08 80", ALUI(3, 1, ALU_OR, 4, 0x80)},
	{"and dword [eax+0x300],imm32", P32, "81 a0 00 03 00 00 ff ff fe ff",
	 ALUI(10, 4, ALU_AND, 4, 0xfffeffff)},
	{"add qword [rax],imm32<0", L64, "48 81 00 00 00 00 80",
	 ALUI(7, 8, ALU_ADD, 8, 0xffffffff80000000ull)},
	{"sub word [bx],imm16", R, "81 2f 34 12", ALUI(4, 2, ALU_SUB, 2, 0x1234)},
	{"or dword [eax],-1 (83)", P32, "83 08 ff", ALUI(3, 4, ALU_OR, 4, 0xffffffff)},
	{"and word [rax],-2 (83)", L64, "66 83 20 fe", ALUI(4, 2, ALU_AND, 8, 0xfffe)},
	{"cmp qword [rax],-1 (83)", L64, "48 83 38 ff", ALUI(4, 8, ALU_CMP, 8, ~0ull)},
	{"xor dword [rax],0x10 (83)", L64, "83 30 10", ALUI(3, 4, ALU_XOR, 8, 0x10)},
	{"adc byte [rax],1", L64, "80 10 01", ALUI(3, 1, ALU_ADC, 8, 1)},
	{"sbb dword [ebp+4],1 (83)", P32, "83 5d 04 01", ALUI(4, 4, ALU_SBB, 4, 1)},
	{"test [eax],cl", P32, "84 08", ALU(2, 1, 1, ALU_TEST, 4)},
	{"test [rax],r8", L64, "4c 85 00", ALU(3, 8, 8, ALU_TEST, 8)},
	{"test byte [eax],0x40", P32, "f6 00 40", ALUI(3, 1, ALU_TEST, 4, 0x40)},
	{"test dword [eax],imm32", P32, "f7 00 00 00 00 80", ALUI(6, 4, ALU_TEST, 4, 0x80000000)},
	{"test word [bx],imm16", R, "f7 07 01 80", ALUI(4, 2, ALU_TEST, 2, 0x8001)},
	{"gs: add [0x10],eax", L64, "65 01 04 25 10 00 00 00",
	 ALU(8, 4, 0, ALU_ADD, 8, .seg = 0x65)},
	{"fs: or byte [ebx],1", P32, "64 80 0b 01", ALUI(4, 1, ALU_OR, 4, 1, .seg = 0x64)},

	/* Bit tests (0F A3/AB/B3/BB, and group 8: 0F BA /4-/7 with imm8). */
	{"bt [eax],ecx", P32, "0f a3 08", BT(3, 4, 1, BIT_BT, 4)},
	{"bts [rax],rdx", L64, "48 0f ab 10", BT(4, 8, 2, BIT_BTS, 8)},
	{"btr [bx],ax", R, "0f b3 07", BT(3, 2, 0, BIT_BTR, 2)},
	{"btc [rax],r9d", L64, "44 0f bb 08", BT(4, 4, 9, BIT_BTC, 8)},
	{"bt dword [eax],31", P32, "0f ba 20 1f", BTI(4, 4, BIT_BT, 4, 31)},
	{"bts qword [rax],63", L64, "48 0f ba 28 3f", BTI(5, 8, BIT_BTS, 8, 63)},
	{"btr word [bx+2],0x8f", R, "0f ba 77 02 8f", BTI(5, 2, BIT_BTR, 2, 0x8f)},
	{"btc dword [rip+d32],5", L64, "0f ba 3d 00 01 00 00 05", BTI(8, 4, BIT_BTC, 8, 5)},
};

/* "8b 87 34 12" -> bytes; returns how many. */
static size_t unhex(const char *hex, u8 *out, size_t max)
{
	size_t n = 0;
	char *end;
	for (const char *s = hex; *s && n < max; s = end)
		out[n++] = (u8)strtoul(s, &end, 16);
	return n;
}

/* Compare every field, naming the case on a mismatch. */
static void check(const struct good *g, const struct insn *got)
{
	const struct insn *want = &g->want;
#define FIELD(f)                                                                  \
	if ((u64)got->f != (u64)want->f)                                          \
		fail_msg("%s (%s): " #f " is %#llx, want %#llx", g->what, g->hex, \
			 (unsigned long long)got->f, (unsigned long long)want->f);
	FIELD(len);
	FIELD(op);
	FIELD(size);
	FIELD(reg_size);
	FIELD(reg);
	FIELD(high8);
	FIELD(imm);
	FIELD(rep);
	FIELD(addr_size);
	FIELD(seg);
	FIELD(alu);
	FIELD(to_reg);
	FIELD(imm_src);
#undef FIELD
}

static void test_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(goods); i++) {
		const struct good *g = &goods[i];
		u8 b[16];
		size_t n = unhex(g->hex, b, sizeof(b));
		if (n != g->want.len)
			fail_msg("%s: %zu bytes given, len %u expected", g->what, n, g->want.len);
		struct insn out;
		memset(&out, 0xa5, sizeof(out)); /* every field must be written */
		int r = decode_insn(b, n, g->mode, &out);
		if (r != DECODE_OK)
			fail_msg("%s: returned %d", g->what, r);
		check(g, &out);
	}
}

/* len is exact: bytes after the instruction change nothing. */
static void test_trailing_bytes(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(goods); i++) {
		const struct good *g = &goods[i];
		u8 b[32];
		memset(b, 0x8b, sizeof(b));
		unhex(g->hex, b, sizeof(b));
		struct insn out;
		if (decode_insn(b, sizeof(b), g->mode, &out) != DECODE_OK)
			fail_msg("%s: failed with trailing bytes", g->what);
		check(g, &out);
	}
}

/* Every proper prefix of every form is DECODE_TRUNCATED. */
static void test_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(goods); i++) {
		const struct good *g = &goods[i];
		u8 b[16];
		size_t len = unhex(g->hex, b, sizeof(b));
		for (size_t n = 0; n < len; n++) {
			struct insn out;
			int r = decode_insn(b, n, g->mode, &out);
			if (r != DECODE_TRUNCATED)
				fail_msg("%s: %zu of %zu bytes gave %d", g->what, n, len, r);
		}
	}
}

/* Something decode_insn must refuse, given whole. */
struct bad {
	const char *what;
	enum cpu_mode mode;
	const char *hex;
};

static const struct bad bads[] = {
	{"add eax,ebx", P32, "01 d8"},
	{"inc dword [rax] (ff /0)", L64, "ff 00"},
	{"not byte [rax] (f6 /2)", L64, "f6 10"},
	{"test alias f7 /1", P32, "f7 08 01 00 00 00"},
	{"0f ba /3 is reserved", L64, "0f ba 18 01"},
	{"82 (80's alias) is left out", P32, "82 00 01"},
	{"bt eax,ecx (register)", P32, "0f a3 c8"},
	{"test eax,eax", P32, "85 c0"},
	{"add al,imm8 (04, no memory)", P32, "04 01"},
	{"push [rax] (ff /6)", L64, "ff 30"},
	{"push [bx] (ff /6)", R, "ff 37"},
	{"mov eax,eax", P32, "8b c0"},
	{"mov ax,ax", R, "8b c0"},
	{"mov rax,rax", L64, "48 8b c0"},
	{"mov al,bl", L64, "88 d8"},
	{"mov eax,imm32 (c7 c0)", P32, "c7 c0 01 00 00 00"},
	{"movzx eax,al", P32, "0f b6 c0"},
	{"movsxd rax,ecx", L64, "48 63 c1"},
	{"xchg eax,ecx (87 c8)", P32, "87 c8"},
	{"c7 /1", P32, "c7 08 01 00 00 00"},
	{"c6 /1", P32, "c6 48 00 00"},
	{"c6 /7", L64, "c6 38 00"},
	{"arpl outside 64-bit mode", P32, "63 03"},
	{"arpl in real mode", R, "63 03"},
	{"REX is dec eax in 32-bit mode", P32, "48 8b 03"},
	{"syscall", L64, "0f 05"},
	{"0f b8", P32, "0f b8 00"},
	{"cmpsb", P32, "a6"},
	{"lodsb", P32, "ac"},
	{"hlt", R, "f4"},
	{"mov cr0,eax", P32, "0f 22 c0"},
	{"14 prefixes: 16 bytes", P32, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 8b 03"},
	{"15 prefixes", L64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 8b"},
	{"17 bytes by its disp", L64, "66 66 66 66 66 66 66 66 66 66 48 8b 05 01 02 03"},
};

static void test_unsupported(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		u8 b[16];
		size_t n = unhex(bads[i].hex, b, sizeof(b));
		struct insn out;
		int r = decode_insn(b, n, bads[i].mode, &out);
		if (r != DECODE_UNSUPPORTED)
			fail_msg("%s: returned %d", bads[i].what, r);
	}
}

/* Too long beats truncated: 15 prefixes can never become an instruction. */
static void test_too_long_with_short_buffer(void **state)
{
	(void)state;
	u8 b[15];
	struct insn out;
	memset(b, 0x2e, sizeof(b));
	assert_int_equal(decode_insn(b, 14, CPU_MODE_PROT32, &out), DECODE_TRUNCATED);
	assert_int_equal(decode_insn(b, 15, CPU_MODE_PROT32, &out), DECODE_UNSUPPORTED);
	assert_int_equal(decode_insn(b, 0, CPU_MODE_LONG64, &out), DECODE_TRUNCATED);
}

/* Every ModRM byte in every mode either decodes to a sane length or is refused. */
static void test_all_modrm(void **state)
{
	(void)state;
	const enum cpu_mode modes[] = {R, P16, P32, L64};
	for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
		for (unsigned modrm = 0; modrm < 256; modrm++) {
			u8 b[15] = {0x8b, (u8)modrm, 0x25, 1, 2, 3, 4};
			struct insn out;
			int r = decode_insn(b, sizeof(b), modes[m], &out);
			if ((modrm >> 6) == 3) {
				assert_int_equal(r, DECODE_UNSUPPORTED);
				continue;
			}
			assert_int_equal(r, DECODE_OK);
			assert_in_range(out.len, 2, 7);
			assert_int_equal(out.reg, (modrm >> 3) & 7);
		}
	}
}

/* MOV to/from CRn for CR exits without decode assists: CR and GPR numbers with REX.R/REX.B,
 * AMD's LOCK form of CR8, whatever ModRM.mod says; anything else is refused. */
static void test_mov_cr(void **state)
{
	(void)state;
	static const struct {
		enum cpu_mode mode;
		const char *hex;
		struct mov_cr want;
	} cases[] = {
		{L64, "0f 22 e0", {3, 4, 0, true, false}},     /* mov %rax,%cr4 */
		{L64, "0f 20 e3", {3, 4, 3, false, false}},    /* mov %cr4,%rbx */
		{L64, "41 0f 22 e7", {4, 4, 15, true, false}}, /* mov %r15,%cr4 */
		{L64, "44 0f 22 c1", {4, 8, 1, true, false}},  /* mov %rcx,%cr8 */
		{L64, "3e 0f 22 e0", {4, 4, 0, true, false}},  /* ds prefix */
		{P32, "f0 0f 22 c0", {4, 8, 0, true, false}},  /* lock mov %eax,%cr8 (AMD) */
		{P32, "0f 22 20", {3, 4, 0, true, false}},     /* mod 00 still names a register */
		{R, "0f 22 e6", {3, 4, 6, true, false}},       /* mov %esi,%cr4 in real mode */
		{L64, "0f 23 c2", {3, 0, 2, true, true}},      /* mov %rdx,%db0 */
		{L64, "41 0f 21 f9", {4, 7, 9, false, true}},  /* mov %db7,%r9 */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		u8 b[16];
		size_t n = unhex(cases[i].hex, b, sizeof(b));
		struct mov_cr m;
		assert_int_equal(decode_mov_cr(b, n, cases[i].mode, &m), DECODE_OK);
		assert_int_equal(m.len, cases[i].want.len);
		assert_int_equal(m.cr, cases[i].want.cr);
		assert_int_equal(m.gpr, cases[i].want.gpr);
		assert_int_equal(m.to_cr, cases[i].want.to_cr);
		assert_int_equal(m.dr, cases[i].want.dr);
	}
	u8 bad[] = {0x0f, 0x24, 0xc0}, cut[] = {0x0f, 0x22};
	struct mov_cr m;
	assert_int_equal(decode_mov_cr(bad, sizeof(bad), L64, &m), DECODE_UNSUPPORTED);
	assert_int_equal(decode_mov_cr(cut, sizeof(cut), L64, &m), DECODE_TRUNCATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_too_long_with_short_buffer),
		cmocka_unit_test(test_all_modrm),
		cmocka_unit_test(test_mov_cr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
