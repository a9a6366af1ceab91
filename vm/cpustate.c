/* The guest CPU state that no backend's control block switches and keel switches once per
 * turn: x87/SSE, DR0-DR3, IA32_TSC_AUX, IA32_SPEC_CTRL (README "Guest-reachable CPU state"); and the check that
 * a guest never leaves keel's own task priority raised. */
#include "vm/cpustate.h"
#include "drivers/cpufeat.h"
#include "kernel/panic.h"
#include "kernel/x86.h"

/* DR0-DR3 belong to the vCPU holding the CPU: neither the VMCS nor the VMCB switches them
 * (SDM 27.3.1, APM 15.5.1), and keel sets no breakpoint of its own (its DR7 is 0x400 after
 * every exit), so they are switched with the FPU, once per turn. */
static void dr_load(const struct vcpu *v)
{
	write_dr0(v->dr[0]);
	write_dr1(v->dr[1]);
	write_dr2(v->dr[2]);
	write_dr3(v->dr[3]);
}

/* IA32_TSC_AUX is the vCPU's too: neither the VMCS nor the VMCB switches it, and keel never
 * reads it (no RDTSCP or RDPID of its own). The guest only writes it through an intercepted
 * WRMSR, so there is nothing to save. */
static void tsc_aux_load(const struct vcpu *v)
{
	if (cpu_feat.rdtscp)
		wrmsr(MSR_TSC_AUX, v->tsc_aux);
}

/* IA32_SPEC_CTRL is the vCPU's (exit/msr_cpu.c): neither the VMCS nor the VMCB switches it
 * without extra features (AMD's V_SPEC_CTRL, VT-x MSR-load lists), and keel's own value is 0
 * (the reset value, SDM vol. 4 table 2-2: keel never writes it). The guest only changes it
 * through an intercepted WRMSR, so it is loaded for the turn and cleared after; keel's exit
 * handling in between runs with the guest's bits, which only restrict speculation more. */
static void spec_ctrl_switch(u64 val)
{
	if (val)
		wrmsr(MSR_SPEC_CTRL, val);
}

static void dr_save(struct vcpu *v)
{
	v->dr[0] = read_dr0();
	v->dr[1] = read_dr1();
	v->dr[2] = read_dr2();
	v->dr[3] = read_dr3();
}

/* A guest that reached the host's task priority (CR8) would mask keel's own vectors: keel's
 * TPR is 0 and no guest may change it (VT-x exits on CR8, AMD-V has V_TPR). */
static void check_host_tpr(void)
{
	if (read_cr8())
		panic("host TPR is %llu after a guest ran", read_cr8());
}

void vcpu_state_load(const struct vcpu *v)
{
	fxrstor(v->fpu); /* keel never uses the FPU: only guests' state passes through it */
	dr_load(v);
	tsc_aux_load(v);
	spec_ctrl_switch(v->msrs.spec_ctrl);
}

void vcpu_state_save(struct vcpu *v)
{
	fxsave(v->fpu);
	dr_save(v);
	if (v->msrs.spec_ctrl)
		wrmsr(MSR_SPEC_CTRL, 0);
	check_host_tpr();
}
