/* Guest memory as the exit handlers reach it: its linear addresses through its own page
 * tables, its instruction stream, and guest-physical accesses on its bus. */
#ifndef KEEL_ACCESS_H
#define KEEL_ACCESS_H

#include "exit/gva.h"
#include "vm/guest.h"

/* The vCPU's paging state, ready for gva_translate/gva_read. */
struct guest_paging vcpu_paging(struct vcpu *v);
/* Read n bytes at the guest's linear address la; 0 or a GVA_* error (pf_error set on a page
 * fault). */
int vcpu_read_linear(struct vcpu *v, u64 la, void *buf, size_t n, unsigned access, u32 *pf_error);
/* Fetch the instruction at CS:RIP into bytes: up to 15 bytes, fewer where the mapping ends
 * (the decoder says whether it needed them); returns how many were read, the rest zeroed. */
size_t vcpu_fetch_insn(struct vcpu *v, u8 bytes[15]);
/* One access of size bytes at a guest-physical address as the guest's bus sees it: a device,
 * RAM, or nothing (reads all ones, writes vanish, as on a PC bus). */
u64 gpa_read(struct vcpu *v, u64 gpa, u8 size);
void gpa_write(struct vcpu *v, u64 gpa, u8 size, u64 val);

/* String instructions (INS, OUTS, STOS, MOVS) do at most this many elements per exit, then
 * resume the instruction where it stands: interrupts and other vCPUs get in between, as
 * between a real CPU's REP iterations (SDM vol. 2 "REP/REPE/REPZ/REPNE/REPNZ"). */
#define STRING_BATCH 128

/* The base of the segment a prefix byte (26, 2E, 36, 3E, 64, 65) names, DS for 0. In 64-bit
 * mode only FS and GS have one (SDM 3.4.4). */
u64 vcpu_seg_base(struct vcpu *v, u8 prefix);
/* The guest-physical address of a string element at seg_base + off (off already masked to
 * the address size). On a fault the #PF (CR2 set) or #GP is made pending and false returned. */
bool string_gpa(struct vcpu *v, u64 seg_base, u64 off, bool write, u64 *gpa);
/* Mask a register value to an address size of 2, 4 or 8 bytes. */
u64 addr_mask(u64 val, u8 size);
/* Write val into a register as an instruction with that address size does: 16 bits merge,
 * 32 bits zero-extend, 64 bits replace. */
void set_addr_reg(u64 *reg, u8 size, u64 val);

#endif
