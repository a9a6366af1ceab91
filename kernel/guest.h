/* Reading the guest's view of things from keel: its mode, its linear addresses, its memory. */
#ifndef KEEL_GUEST_H
#define KEEL_GUEST_H

#include "kernel/decode.h"
#include "kernel/gva.h"
#include "kernel/vm.h"

/* The vCPU's code size (real, 16-, 32- or 64-bit). */
enum cpu_mode vcpu_mode(struct vcpu *v);
/* The vCPU's paging state, ready for gva_translate/gva_read. */
struct guest_paging vcpu_paging(struct vcpu *v);
/* Read n bytes at the guest's linear address la; 0 or a GVA_* error (pf_error set on a page
 * fault). */
int vcpu_read_linear(struct vcpu *v, u64 la, void *buf, size_t n, unsigned access, u32 *pf_error);
/* Mask a register value to an address size of 2, 4 or 8 bytes. */
u64 addr_mask(u64 val, u8 size);
/* Write val into a register as an instruction with that address size does: 16 bits merge,
 * 32 bits zero-extend, 64 bits replace. */
void set_addr_reg(u64 *reg, u8 size, u64 val);

#endif
