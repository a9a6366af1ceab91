/* Nested page faults. keel maps only RAM, so a fault is either an access to a device (MMIO:
 * fetch the instruction through the guest's page tables, decode it, perform it on the device)
 * or an access to nothing at all, which behaves like a PC bus with no device there: reads
 * return all ones, writes vanish. Executing from a non-RAM address, or an instruction the
 * decoder does not know, stops the VM with the reason logged. */
#include "kernel/exit.h"
#include "kernel/guest.h"
#include "kernel/log.h"
#include "kernel/x86.h"

static u64 size_mask(u8 size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* One access at gpa: a device, RAM (for MOVS between RAM and a device), or nothing. */
static u64 mem_read(struct vcpu *v, u64 gpa, u8 size)
{
	const struct bus_range *r = bus_find(&v->vm->mmio, gpa);
	u64 val = 0;
	if (r)
		return bus_read(v, r, gpa, size) & size_mask(size);
	if (gmem_read(&v->vm->mem, gpa, &val, size))
		return val;
	return size_mask(size);
}

static void mem_write(struct vcpu *v, u64 gpa, u8 size, u64 val)
{
	const struct bus_range *r = bus_find(&v->vm->mmio, gpa);
	if (r)
		bus_write(v, r, gpa, size, val & size_mask(size));
	else
		gmem_write(&v->vm->mem, gpa, &val, size);
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

/* The guest-physical address of a string operand at seg:reg. */
static bool string_gpa(struct vcpu *v, u64 seg_base, u64 off, bool write, u64 *gpa)
{
	struct guest_paging p = vcpu_paging(v);
	u32 pf;
	unsigned acc = (write ? GVA_WRITE : 0) | (vcpu_get(v, VREG_CPL) == 3 ? GVA_USER : 0);
	return gva_translate(&p, seg_base + off, acc, gpa, &pf) == GVA_OK;
}

/* STOS and MOVS, all REP iterations at once (each element may be a device register). */
static bool do_string(struct vcpu *v, const struct insn *in)
{
	u8 as = in->addr_size, sz = in->size;
	bool down = vcpu_get(v, VREG_RFLAGS) & RFLAGS_DF;
	u64 count = in->rep ? addr_mask(v->regs.gpr[RCX], as) : 1;
	u64 es = vcpu_get(v, VREG_ES_BASE), src_seg = vcpu_get(v, VREG_DS_BASE);
	if (in->seg == 0x64 || in->seg == 0x65)
		src_seg = vcpu_get(v, in->seg == 0x64 ? VREG_FS_BASE : VREG_GS_BASE);
	for (u64 i = 0; i < count && i < 4096; i++) {
		u64 di = addr_mask(v->regs.gpr[RDI], as), dst, src;
		u64 val = v->regs.gpr[RAX];
		if (!string_gpa(v, es, di, true, &dst))
			return false;
		if (in->op == INSN_MOVS) {
			u64 si = addr_mask(v->regs.gpr[RSI], as);
			if (!string_gpa(v, src_seg, si, false, &src))
				return false;
			val = mem_read(v, src, sz);
			set_addr_reg(&v->regs.gpr[RSI], as, down ? si - sz : si + sz);
		}
		mem_write(v, dst, sz, val);
		set_addr_reg(&v->regs.gpr[RDI], as, down ? di - sz : di + sz);
		if (in->rep)
			set_addr_reg(&v->regs.gpr[RCX], as, addr_mask(v->regs.gpr[RCX], as) - 1);
	}
	return true;
}

static bool emulate(struct vcpu *v, const struct insn *in, u64 gpa)
{
	u64 val;
	switch (in->op) {
	case INSN_LOAD: set_reg(v, in, in->size, mem_read(v, gpa, in->size)); return true;
	case INSN_STORE: mem_write(v, gpa, in->size, get_reg(v, in, in->size)); return true;
	case INSN_STORE_IMM: mem_write(v, gpa, in->size, in->imm); return true;
	case INSN_MOVZX: set_reg(v, in, in->reg_size, mem_read(v, gpa, in->size)); return true;
	case INSN_MOVSX:
		set_reg(v, in, in->reg_size, sign_extend(mem_read(v, gpa, in->size), in->size));
		return true;
	case INSN_XCHG:
		val = mem_read(v, gpa, in->size);
		mem_write(v, gpa, in->size, get_reg(v, in, in->size));
		set_reg(v, in, in->size, val);
		return true;
	case INSN_STOS:
	case INSN_MOVS: return do_string(v, in);
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
	if (e->npf.fetch || gmem_is_ram(&vm->mem, gpa)) {
		vm_stop(vm, VM_END_ERROR, 0, "%s guest-physical %#llx at rip %#llx",
			e->npf.fetch ? "executed from non-RAM" : "nested page fault on RAM",
			(unsigned long long)gpa, (unsigned long long)vcpu_get(v, VREG_RIP));
		return EXIT_STOP;
	}
	u8 bytes[15];
	u64 rip = vcpu_get(v, VREG_RIP);
	enum cpu_mode mode = vcpu_mode(v);
	u64 la = vcpu_get(v, VREG_CS_BASE) + rip;
	if (mode != CPU_MODE_LONG64)
		la &= 0xffffffffull;
	u32 pf;
	/* Fetch up to 15 bytes; fewer at the end of a mapped region is fine if the decoder
	 * does not need them. */
	size_t n = 15;
	while (n && vcpu_read_linear(v, la, bytes, n, GVA_FETCH, &pf) != GVA_OK)
		n--;
	struct insn in;
	int d = decode_insn(bytes, n, mode, &in);
	if (d != DECODE_OK || !emulate(v, &in, gpa)) {
		vm_stop(vm, VM_END_ERROR, 0,
			"cannot emulate the access to %#llx by %02x %02x %02x %02x at rip %#llx",
			(unsigned long long)gpa, bytes[0], bytes[1], bytes[2], bytes[3],
			(unsigned long long)rip);
		return EXIT_STOP;
	}
	e->insn_len = in.len;
	e->skip = true;
	return vm->end ? EXIT_STOP : EXIT_RESUME;
}
