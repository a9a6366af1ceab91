/* Nested page faults. keel maps only RAM, so a fault is either an access to a device (MMIO:
 * fetch the instruction through the guest's page tables, decode it, perform it on the device)
 * or an access to nothing at all, which behaves like a PC bus with no device there: reads
 * return all ones, writes vanish. Executing from a non-RAM address, or an instruction the
 * decoder does not know, stops the VM with the reason logged; so does an access made while
 * delivering an event (IDT-vectoring information, SDM 27.2.4; EXITINTINFO, APM 15.7.2), which
 * the instruction at RIP did not make and must not be performed for it. */
#include "exit/exit.h"
#include "exit/access.h"
#include "exit/alu.h"
#include "kernel/log.h"
#include "kernel/x86.h"
#include "vm/snapmem.h"

static u64 size_mask(u8 size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static u64 get_reg(struct vcpu *v, const struct insn *in, u8 size)
{
	u64 x = in->reg == RSP ? vcpu_get(v, VREG_RSP) : v->regs.gpr[in->reg];
	return in->high8 ? (x >> 8) & 0xff : x & size_mask(size);
}

/* Write a register as a MOV of that size does (32-bit results zero-extend). */
static void set_reg(struct vcpu *v, const struct insn *in, u8 size, u64 val)
{
	u64 *r = &v->regs.gpr[in->reg];
	u64 x = in->reg == RSP ? vcpu_get(v, VREG_RSP) : *r;
	if (in->high8)
		x = (x & ~0xff00ull) | (val & 0xff) << 8;
	else if (size >= 4)
		x = val & size_mask(size);
	else
		x = (x & ~size_mask(size)) | (val & size_mask(size));
	if (in->reg == RSP)
		vcpu_set(v, VREG_RSP, x);
	else
		*r = x;
}

static u64 sign_extend(u64 val, u8 from)
{
	u8 shift = (u8)(64 - 8 * from);
	return (u64)((s64)(val << shift) >> shift);
}

/* One STOS or MOVS element; false if it faulted (the #PF or #GP is pending). */
static bool string_element(struct vcpu *v, const struct insn *in, u64 src_seg, u64 es)
{
	u8 as = in->addr_size, sz = in->size;
	bool down = vcpu_get(v, VREG_RFLAGS) & RFLAGS_DF;
	u64 di = addr_mask(v->regs.gpr[RDI], as), si = addr_mask(v->regs.gpr[RSI], as);
	u64 dst, src, val = v->regs.gpr[RAX];
	if (in->op == INSN_MOVS && !string_gpa(v, src_seg, si, false, &src))
		return false;
	if (!string_gpa(v, es, di, true, &dst))
		return false;
	if (in->op == INSN_MOVS) {
		val = gpa_read(v, src, sz);
		set_addr_reg(&v->regs.gpr[RSI], as, down ? si - sz : si + sz);
	}
	gpa_write(v, dst, sz, val);
	set_addr_reg(&v->regs.gpr[RDI], as, down ? di - sz : di + sz);
	return true;
}

/* STOS and MOVS (each element may be a device register): at most STRING_BATCH elements per
 * exit. With REP the instruction is skipped only once rCX reaches 0; until then the guest
 * resumes it where it stands, which also lets interrupts in between batches. The destination
 * is always ES:rDI; the source DS:rSI or its override (SDM vol. 2 "MOVS", "STOS"). */
static void do_string(struct vcpu *v, const struct insn *in, struct vexit *e)
{
	u8 as = in->addr_size;
	u64 count = in->rep ? addr_mask(v->regs.gpr[RCX], as) : 1, done = 0;
	u64 es = vcpu_seg_base(v, 0x26), src_seg = vcpu_seg_base(v, in->seg);
	for (; done < count && done < STRING_BATCH && !v->vm->end; done++)
		if (!string_element(v, in, src_seg, es))
			break;
	if (in->rep) {
		u64 left = addr_mask(v->regs.gpr[RCX], as) - done;
		set_addr_reg(&v->regs.gpr[RCX], as, left);
		e->skip = left == 0 && !v->event.pending;
	} else {
		e->skip = done == 1;
	}
}

/* ALU and bit-test forms: read the device register, compute (exit/alu.c), write back what the
 * instruction writes and the RFLAGS it leaves. The device sees one read and, unless the
 * instruction only compares or tests, one write, as from a locked read-modify-write. */
static void do_alu(struct vcpu *v, const struct insn *in, u64 gpa)
{
	u8 rsize = in->op == INSN_BT ? in->reg_size : in->size;
	struct alu_io io = {
		.mem = gpa_read(v, gpa, in->size),
		.reg = in->imm_src ? in->imm : get_reg(v, in, rsize),
		.rflags = vcpu_get(v, VREG_RFLAGS),
	};
	insn_alu(in, &io);
	if (io.mem_write)
		gpa_write(v, gpa, in->size, io.mem);
	if (io.reg_write)
		set_reg(v, in, in->size, io.reg);
	vcpu_set(v, VREG_RFLAGS, io.rflags);
}

/* Perform the decoded access; false for an instruction it cannot (the VM is stopped). */
static bool emulate(struct vcpu *v, const struct insn *in, u64 gpa, struct vexit *e)
{
	u64 val;
	e->skip = true;
	switch (in->op) {
	case INSN_LOAD: set_reg(v, in, in->size, gpa_read(v, gpa, in->size)); return true;
	case INSN_STORE: gpa_write(v, gpa, in->size, get_reg(v, in, in->size)); return true;
	case INSN_STORE_IMM: gpa_write(v, gpa, in->size, in->imm); return true;
	case INSN_MOVZX: set_reg(v, in, in->reg_size, gpa_read(v, gpa, in->size)); return true;
	case INSN_MOVSX:
		set_reg(v, in, in->reg_size, sign_extend(gpa_read(v, gpa, in->size), in->size));
		return true;
	case INSN_XCHG:
		val = gpa_read(v, gpa, in->size);
		gpa_write(v, gpa, in->size, get_reg(v, in, in->size));
		set_reg(v, in, in->size, val);
		return true;
	case INSN_STOS:
	case INSN_MOVS: do_string(v, in, e); return true;
	case INSN_ALU:
	case INSN_BT: do_alu(v, in, gpa); return true;
	}
	return false;
}

enum exit_action exit_npf(struct vcpu *v, struct vexit *e)
{
	struct vm *vm = v->vm;
	u64 gpa = e->npf.gpa;
	if (bus_find(&vm->mmio, gpa)) { /* counted as an MMIO exit, not a plain fault */
		v->exits[EXK_NPF]--;
		v->exits[EXK_MMIO]++;
	}
	/* A first touch of RAM not yet in use: cleared, mapped, and the access retried. */
	if (gmem_fault(&vm->mem, gpa))
		return EXIT_RESUME;
	/* A first write to RAM a snapshot shares: copied, writable, and the write retried. */
	if (e->npf.write && !e->npf.fetch && snapmem_write_fault(vm, gpa))
		return vm->end ? EXIT_STOP : EXIT_RESUME;
	if (e->npf.fetch || gmem_is_ram(&vm->mem, gpa)) {
		vm_stop(vm, VM_END_ERROR, 0, "%s guest-physical %#llx at rip %#llx",
			e->npf.fetch ? "executed from non-RAM" : "nested page fault on RAM", gpa,
			vcpu_get(v, VREG_RIP));
		return EXIT_STOP;
	}
	if (v->event.pending) { /* requeued: the CPU was delivering it, not running RIP */
		vm_stop(vm, VM_END_ERROR, 0,
			"delivering vector %u touched guest-physical %#llx, which is not RAM (an "
			"IDT, "
			"GDT or stack outside RAM): not emulated",
			v->event.vector, gpa);
		return EXIT_STOP;
	}
	u8 bytes[15];
	u64 rip = vcpu_get(v, VREG_RIP);
	size_t n = vcpu_fetch_insn(v, bytes); /* zeroes what it could not read */
	struct insn in;
	int d = decode_insn(bytes, n, vcpu_mode(v), &in);
	if (d != DECODE_OK || !emulate(v, &in, gpa, e)) {
		vm_stop(vm, VM_END_ERROR, 0,
			"cannot emulate the access to %#llx by %02x %02x %02x %02x (%zu bytes "
			"read) "
			"at rip %#llx",
			gpa, bytes[0], bytes[1], bytes[2], bytes[3], n, rip);
		return EXIT_STOP;
	}
	e->insn_len = in.len;
	return vm->end ? EXIT_STOP : EXIT_RESUME;
}
