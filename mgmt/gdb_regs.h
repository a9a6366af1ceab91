/* gdb's view of an x86-64 vCPU (gdb manual, "Target Descriptions" and "i386 Features"): the
 * target description keel serves (qXfer:features:read:target.xml) and the registers in its
 * order, read from and written into a vCPU's architectural state and its FXSAVE image (SDM
 * vol. 1 10.5.1). Pure C, host-tested (tests/unit/test_gdb_regs.c). */
#ifndef KEEL_GDB_REGS_H
#define KEEL_GDB_REGS_H

#include "vm/vm.h"

/* Registers by gdb's number: their order in target.xml. */
enum {
	GDB_RAX,
	GDB_RIP = 16,
	GDB_EFLAGS,
	GDB_CS,
	GDB_ST0 = 24,
	GDB_FCTRL = 32,
	GDB_XMM0 = 40,
	GDB_MXCSR = 56,
	GDB_FS_BASE,
	GDB_CR0 = 60,
	GDB_EFER = 65,
	GDB_NREGS
};
#define GDB_G_BYTES 608 /* every register, as 'g' sends them */

/* A vCPU as gdb reads and writes it: fx is the legacy region of its XSAVE image. */
struct gdb_cpu {
	struct vcpu_arch_state s;
	u8 *fx;		/* 512 bytes */
	u32 mxcsr_mask; /* the MXCSR bits the host accepts */
};

/* target.xml: its text and length. */
const char *gdb_target_xml(u32 *len);
/* Register n's size in bytes, 0 if there is none. */
u32 gdb_reg_size(u32 n);
/* Register n into out (gdb_reg_size bytes, little-endian). */
void gdb_reg_get(const struct gdb_cpu *c, u32 n, u8 *out);
/* Register n from in: NULL, or why it is refused (c is then unchanged). */
const char *gdb_reg_set(struct gdb_cpu *c, u32 n, const u8 *in);
/* Every register ('g'): GDB_G_BYTES bytes. */
void gdb_regs_get(const struct gdb_cpu *c, u8 *out);
/* Every register ('G'): NULL, or why the whole write is refused (c is then unchanged). */
const char *gdb_regs_set(struct gdb_cpu *c, const u8 *in);

#endif
