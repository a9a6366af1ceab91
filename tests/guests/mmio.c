/* MMIO emulation: the local APIC at 0xfee00000 read and written with every instruction form
 * keel's decoder handles (MOV 88/89/8A/8B/C6/C7/A0-A3, MOVZX, MOVSX, XCHG, STOS, MOVS, the ALU
 * operations, TEST and BT/BTS/BTR with the RFLAGS they leave; high-byte
 * registers, REX, SIB, the direction flag), each checked against the register's known value:
 * ID 0 (vCPU 0), version 0x00050014, TPR and SVR holding what is written, LINT0 its defined
 * bits (SDM 11.5.1), LDR bits 31:24. */
#include "rt/rt.h"

#define LAPIC	0xfee00000u
#define ID	(LAPIC + 0x20)
#define VER	(LAPIC + 0x30)
#define TPR	(LAPIC + 0x80)
#define SVR	(LAPIC + 0xf0)
#define LINT0	(LAPIC + 0x350)
#define LDR	(LAPIC + 0xd0)
#define VERSION 0x00050014u

#define R8(a)  (*(volatile u8 *)(uintptr_t)(a))
#define R16(a) (*(volatile u16 *)(uintptr_t)(a))
#define R32(a) (*(volatile u32 *)(uintptr_t)(a))
#define R64(a) (*(volatile u64 *)(uintptr_t)(a))
#define PTR(a) ((void *)(uintptr_t)(a))
#define HEX(x) ((unsigned long long)(x))

/* Plain loads and stores of each width, as C compiles them. */
static void c_accesses(void)
{
	check(R32(ID) == 0, "mov32 load ID = 0x%x", R32(ID));
	check(R32(VER) == VERSION, "mov32 load version = 0x%x", R32(VER));
	check(R8(VER) == 0x14, "mov8 load version = 0x%x", R8(VER));
	check(R16(VER) == 0x14, "mov16 load version = 0x%x", R16(VER));
	check(R64(VER) == VERSION, "mov64 load version = 0x%llx", HEX(R64(VER)));
	R32(TPR) = 0x20;
	check(R32(TPR) == 0x20, "mov32 store TPR 0x20, load 0x%x", R32(TPR));
	R8(TPR) = 0x31;
	check(R32(TPR) == 0x31, "mov8 store TPR 0x31, load 0x%x", R32(TPR));
	R16(TPR) = 0x42;
	check(R32(TPR) == 0x42, "mov16 store TPR 0x42, load 0x%x", R32(TPR));
	R64(TPR) = 0x53;
	check(R32(TPR) == 0x53, "mov64 store TPR 0x53, load 0x%x", R32(TPR));
	R32(SVR) = 0x1ff;
	check(R32(SVR) == 0x1ff, "SVR 0x1ff round trip: 0x%x", R32(SVR));
	R32(SVR) = 0x10f;
	check(R32(SVR) == 0x10f, "SVR 0x10f round trip: 0x%x", R32(SVR));
	R32(LINT0) = 0x00018000;
	check(R32(LINT0) == 0x00018000, "LVT LINT0 round trip: 0x%x", R32(LINT0));
}

/* MOVZX, MOVSX, MOV with an immediate, XCHG. */
static void extend_imm_xchg(void)
{
	u32 x;
	__asm__ volatile("movzbl (%1), %0" : "=r"(x) : "r"(PTR(VER)) : "memory");
	check(x == 0x14, "movzbl version = 0x%x", x);
	__asm__ volatile("movzwl (%1), %0" : "=r"(x) : "r"(PTR(VER)) : "memory");
	check(x == 0x14, "movzwl version = 0x%x", x);
	R32(TPR) = 0xf0;
	__asm__ volatile("movsbl (%1), %0" : "=r"(x) : "r"(PTR(TPR)) : "memory");
	check(x == 0xfffffff0u, "movsbl TPR 0xf0 = 0x%x", x);
	__asm__ volatile("movswl (%1), %0" : "=r"(x) : "r"(PTR(LINT0)) : "memory");
	check(x == 0xffff8000u, "movswl LINT0 0x18000 = 0x%x", x);
	__asm__ volatile("movl $0x61, (%0)" ::"r"(PTR(TPR)) : "memory");
	check(R32(TPR) == 0x61, "movl $0x61 (C7) -> TPR 0x%x", R32(TPR));
	__asm__ volatile("movb $0x72, (%0)" ::"r"(PTR(TPR)) : "memory");
	check(R32(TPR) == 0x72, "movb $0x72 (C6) -> TPR 0x%x", R32(TPR));
	__asm__ volatile("movw $0x1ef, (%0)" ::"r"(PTR(SVR)) : "memory");
	check(R32(SVR) == 0x1ef, "movw $0x1ef (66 C7) -> SVR 0x%x", R32(SVR));
	R32(TPR) = 0x11;
	x = 0x22;
	__asm__ volatile("xchgl %0, (%1)" : "+r"(x) : "r"(PTR(TPR)) : "memory");
	check(x == 0x11 && R32(TPR) == 0x22, "xchgl: register 0x%x, TPR 0x%x", x, R32(TPR));
	u8 b = 0x33;
	__asm__ volatile("xchgb %0, (%1)" : "+q"(b) : "r"(PTR(TPR)) : "memory");
	check(b == 0x22 && R32(TPR) == 0x33, "xchgb: register 0x%x, TPR 0x%x", b, R32(TPR));
}

/* Absolute offsets (A0-A3), AH-style registers, SIB addressing, and 64-bit-only forms. */
static void addressing(void)
{
	u32 x;
	u8 b;
#if defined(__x86_64__)
	__asm__ volatile("movabsl 0xfee00030, %%eax" : "=a"(x)::"memory");
	check(x == VERSION, "movabs moffs -> eax (A1) version 0x%x", x);
	__asm__ volatile("movabsb 0xfee00030, %%al" : "=a"(b)::"memory");
	check(b == 0x14, "movabs moffs -> al (A0) version 0x%x", b);
	__asm__ volatile("movabsl %%eax, 0xfee00080" ::"a"(0x44) : "memory");
	check(R32(TPR) == 0x44, "movabs eax -> moffs (A3) TPR 0x%x", R32(TPR));
	__asm__ volatile("movabsb %%al, 0xfee00080" ::"a"(0x45) : "memory");
	check(R32(TPR) == 0x45, "movabs al -> moffs (A2) TPR 0x%x", R32(TPR));
	u64 q;
	__asm__ volatile("movl (%1), %%r9d; mov %%r9, %0"
			 : "=r"(q)
			 : "r"(PTR(VER))
			 : "r9", "memory");
	check(q == VERSION, "movl -> r9d (REX.R) version 0x%llx", HEX(q));
	__asm__ volatile("mov %0, %%r10; movq %%r10, (%1)" ::"r"(0x46ull), "r"(PTR(TPR))
			 : "r10", "memory");
	check(R32(TPR) == 0x46, "movq r10 (REX.W REX.R) -> TPR 0x%x", R32(TPR));
	__asm__ volatile("movq $-1, (%0)" ::"r"(PTR(TPR)) : "memory");
	check(R32(TPR) == 0xff, "movq $-1 (REX.W C7, 8 bytes) -> TPR 0x%x", R32(TPR));
	R32(LDR) = 0x80000000u;
	__asm__ volatile("movslq (%1), %0" : "=r"(q) : "r"(PTR(LDR)) : "memory");
	check(q == 0xffffffff80000000ull, "movslq (63) LDR = 0x%llx", HEX(q));
	__asm__ volatile("movzbq (%1), %0" : "=r"(q) : "r"(PTR(VER)) : "memory");
	check(q == 0x14, "movzbq (REX.W 0F B6) version = 0x%llx", HEX(q));
#else
	__asm__ volatile("movl 0xfee00030, %%eax" : "=a"(x)::"memory");
	check(x == VERSION, "mov moffs -> eax (A1) version 0x%x", x);
	__asm__ volatile("movb 0xfee00030, %%al" : "=a"(b)::"memory");
	check(b == 0x14, "mov moffs -> al (A0) version 0x%x", b);
	__asm__ volatile("movl %%eax, 0xfee00080" ::"a"(0x44) : "memory");
	check(R32(TPR) == 0x44, "mov eax -> moffs (A3) TPR 0x%x", R32(TPR));
	__asm__ volatile("movb %%al, 0xfee00080" ::"a"(0x45) : "memory");
	check(R32(TPR) == 0x45, "mov al -> moffs (A2) TPR 0x%x", R32(TPR));
#endif
	u32 ax = 0x5a00;
	__asm__ volatile("movb %%ah, (%0)" ::"d"(PTR(TPR)), "a"(ax) : "memory");
	check(R32(TPR) == 0x5a, "movb ah -> TPR (88, high byte) 0x%x", R32(TPR));
	u32 bx = 0xffff;
	__asm__ volatile("movb (%1), %%bh" : "+b"(bx) : "d"(PTR(VER)) : "memory");
	check(bx == 0x14ff, "movb version -> bh (8A, high byte): ebx 0x%x", bx);
	uintptr_t base = LAPIC, idx = 4;
	__asm__ volatile("movl 0x20(%1,%2,4), %0" : "=r"(x) : "r"(base), "r"(idx) : "memory");
	check(x == VERSION, "movl 0x20(base,index*4) (SIB, disp8) version 0x%x", x);
	__asm__ volatile("movl %0, 0x7fffff80(%1,%2,1)" ::"r"(0x47u), "r"(base - 0x7fffff00),
			 "r"((uintptr_t)0)
			 : "memory");
	check(R32(TPR) == 0x47, "movl -> disp32(base,index) (SIB, disp32) TPR 0x%x", R32(TPR));
}

/* STOS and MOVS, with and without REP, forwards and backwards, MMIO on either side. */
static void strings(void)
{
	static volatile u32 buf[4];
	void *di = PTR(TPR);
	uintptr_t n = 0;
	__asm__ volatile("stosl" : "+D"(di) : "a"(0x48) : "memory");
	check(R32(TPR) == 0x48 && di == PTR(TPR + 4), "stosl -> TPR 0x%x, rdi advanced by 4",
	      R32(TPR));
	di = PTR(TPR), n = 4;
	__asm__ volatile("rep stosl" : "+D"(di), "+c"(n) : "a"(0x35) : "memory");
	check(R32(TPR) == 0x35 && n == 0 && di == PTR(TPR + 16),
	      "rep stosl x4 -> TPR 0x%x, rcx %u, rdi advanced by %d", R32(TPR), (u32)n,
	      (int)((uintptr_t)di - TPR));
	di = PTR(TPR);
	__asm__ volatile("std; stosl; cld" : "+D"(di) : "a"(0x36) : "memory");
	check(R32(TPR) == 0x36 && di == PTR(TPR - 4), "std; stosl -> TPR 0x%x, rdi back by 4",
	      R32(TPR));
	void *si = PTR(VER);
	di = (void *)buf;
	__asm__ volatile("movsl" : "+D"(di), "+S"(si)::"memory");
	check(buf[0] == VERSION && si == PTR(VER + 4), "movsl version -> RAM 0x%x", buf[0]);
	buf[1] = 0x21;
	si = (void *)&buf[1], di = PTR(TPR);
	__asm__ volatile("movsl" : "+D"(di), "+S"(si)::"memory");
	check(R32(TPR) == 0x21, "movsl RAM 0x21 -> TPR 0x%x", R32(TPR));
	si = PTR(VER), di = PTR(TPR);
	__asm__ volatile("movsb" : "+D"(di), "+S"(si)::"memory");
	check(R32(TPR) == 0x14, "movsb version -> TPR (MMIO to MMIO) 0x%x", R32(TPR));
	buf[0] = 0x66, buf[1] = 1, buf[2] = 2, buf[3] = 3;
	si = (void *)buf, di = PTR(TPR), n = 4;
	__asm__ volatile("rep movsl" : "+D"(di), "+S"(si), "+c"(n)::"memory");
	check(R32(TPR) == 0x66 && n == 0, "rep movsl x4 RAM -> TPR 0x%x, rcx %u", R32(TPR), (u32)n);
	buf[0] = buf[1] = 0xdead;
	si = PTR(ID), di = (void *)buf, n = 2;
	__asm__ volatile("rep movsl" : "+D"(di), "+S"(si), "+c"(n)::"memory");
	check(buf[0] == 0 && buf[1] == 0 && n == 0, "rep movsl x2 ID -> RAM %x %x", buf[0], buf[1]);
}

/* An instruction on TPR, then RFLAGS' CF (bit 0), ZF (bit 6), SF (bit 7), OF (bit 11). */
#define FLAGS_OF(insn, ...)                             \
	({                                              \
		uintptr_t fl_;                          \
		__asm__ volatile(insn "; pushf; pop %0" \
				 : "=r"(fl_)            \
				 : __VA_ARGS__          \
				 : "memory", "cc");     \
		(u32) fl_ & 0x8c1u;                     \
	})

/* ALU, TEST and bit-test forms read-modify-write the register and set RFLAGS as the SDM's
 * page for each instruction says (the values are checked against a real CPU in test_alu). */
static void alu_forms(void)
{
	volatile u32 *tpr = PTR(TPR);
	R32(TPR) = 0x20;
	u32 f = FLAGS_OF("orl $0x10, %1", "m"(*tpr));
	check(R32(TPR) == 0x30 && f == 0, "orl $0x10 (83 /1) -> TPR 0x%x, flags 0x%x", R32(TPR), f);
	f = FLAGS_OF("addb $0xd0, %1", "m"(*tpr));
	check(R32(TPR) == 0 && f == 0x41, "addb $0xd0 (80 /0) -> TPR 0x%x, CF ZF: flags 0x%x",
	      R32(TPR), f);
	R32(TPR) = 0x30;
	u32 x = 0x40;
	__asm__ volatile("subl %1, %0" : "+r"(x) : "m"(*tpr) : "cc");
	check(x == 0x10 && R32(TPR) == 0x30, "subl TPR, reg (2B) = 0x%x, TPR kept 0x%x", x,
	      R32(TPR));
	f = FLAGS_OF("cmpl $0x30, %1", "m"(*tpr));
	check(f == 0x40 && R32(TPR) == 0x30, "cmpl $0x30 (83 /7) equal: flags 0x%x", f);
	f = FLAGS_OF("cmpl %1, %2", "r"(0x31u), "m"(*tpr));
	check(f == 0x81, "cmpl reg 0x31 (39) below: CF SF flags 0x%x", f);
	f = FLAGS_OF("testl $0x20, %1", "m"(*tpr));
	check(f == 0, "testl $0x20 (F7 /0) nonzero: flags 0x%x", f);
	f = FLAGS_OF("testb %1, %2", "q"((u8)0xc0), "m"(*(volatile u8 *)tpr));
	check(f == 0x40, "testb reg 0xc0 (84) zero: flags 0x%x", f);
	f = FLAGS_OF("xorl %1, %2", "r"(0x33u), "m"(*tpr));
	check(R32(TPR) == 0x03 && f == 0, "xorl reg (31) -> TPR 0x%x, flags 0x%x", R32(TPR), f);
	f = FLAGS_OF("andw $0x2, %1", "m"(*(volatile u16 *)tpr));
	check(R32(TPR) == 0x02 && f == 0, "andw $2 (66 83 /4) -> TPR 0x%x, flags 0x%x", R32(TPR),
	      f);
	f = FLAGS_OF("btl $1, %1", "m"(*tpr));
	check(f == 0x1 && R32(TPR) == 0x02, "btl $1 (0F BA /4): CF, flags 0x%x", f);
	f = FLAGS_OF("btsl $6, %1", "m"(*tpr));
	check(f == 0 && R32(TPR) == 0x42, "btsl $6 (0F BA /5) -> TPR 0x%x, flags 0x%x", R32(TPR),
	      f);
	f = FLAGS_OF("btrl %1, %2", "r"(1u), "m"(*tpr));
	check(f == 1 && R32(TPR) == 0x40, "btrl reg 1 (0F B3) -> TPR 0x%x, flags 0x%x", R32(TPR),
	      f);
	f = FLAGS_OF("btsl %1, %2", "r"(5u), "m"(*tpr));
	check(f == 0 && R32(TPR) == 0x60, "btsl reg 5 (0F AB) -> TPR 0x%x, flags 0x%x", R32(TPR),
	      f);
	f = FLAGS_OF("lock addl %1, %2", "r"(0xffffffa0u), "m"(*tpr));
	check(R32(TPR) == 0 && f == 0x41, "lock addl -0x60 (F0 01): TPR 0x%x, CF ZF flags 0x%x",
	      R32(TPR), f);
}

int guest_main(void)
{
	printf("mmio: %d-bit guest\n", (int)sizeof(void *) * 8);
	c_accesses();
	extend_imm_xchg();
	addressing();
	strings();
	alu_forms();
	R32(TPR) = 0;
	return check_done();
}
