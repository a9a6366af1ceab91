/* CPUID as keel presents it (README "CPUID policy"): the hypervisor bit, keel's signature and
 * TSC-frequency leaf; x2APIC and TSC-deadline offered; VMX, SVM, AVX-512, MCE and MCA hidden;
 * MTRR offered; XSAVE, AVX and leaf 0xD consistent (xsave.c checks them in depth); the topology
 * and the APIC ID agreeing with fw_cfg's vCPU count and the LAPIC. */
#include "rt/rt.h"

#define BIT(n)	   (1u << (n))
#define LAPIC_ID   0xfee00020u
#define SIGNATURE  0x6c65656bu /* "keel" */
#define HV_MAX	   0x40000010u
#define NO_BITS(x) ((x) == 0)

static u32 r[4];

/* CPUID leaf.sub into r; returns r. */
static u32 *q(u32 leaf, u32 sub)
{
	cpuid(leaf, sub, r);
	return r;
}

/* The bits keel hides in leaves 1, 7 and 0x80000001. */
static void hidden(void)
{
	u32 ecx = q(1, 0)[2], edx = r[3];
	check(ecx & BIT(31), "leaf 1 ECX[31]: hypervisor present");
	check(!(ecx & BIT(5)), "leaf 1 ECX[5]: VMX hidden");
	bool xsave = ecx & BIT(26);
	check(!(ecx & BIT(27)), "leaf 1 ECX[27]: OSXSAVE clear, as CR4.OSXSAVE is");
	check(xsave || !(ecx & (BIT(12) | BIT(28) | BIT(29))),
	      "leaf 1 ECX 0x%x: AVX, FMA, F16C only with XSAVE", ecx);
	check(ecx & BIT(21), "leaf 1 ECX[21]: x2APIC offered");
	check(ecx & BIT(24), "leaf 1 ECX[24]: TSC-deadline offered");
	check(edx & BIT(12), "leaf 1 EDX[12]: MTRR offered (keel emulates them)");
	check(!(edx & BIT(7)), "leaf 1 EDX[7]: MCE hidden");
	check(!(edx & BIT(14)), "leaf 1 EDX[14]: MCA hidden");
	u32 ebx7 = q(7, 0)[1];
	check(!(ebx7 & BIT(16)) && ((ecx & BIT(28)) || !(ebx7 & BIT(5))),
	      "leaf 7 EBX 0x%x: AVX-512 hidden, AVX2 only with AVX", ebx7);
	for (u32 sub = 0; sub < 4 && !xsave; sub++) {
		q(0xd, sub);
		check(NO_BITS(r[0] | r[1] | r[2] | r[3]), "leaf 0xD.%u all zero (%x %x %x %x)", sub,
		      r[0], r[1], r[2], r[3]);
	}
	if (xsave) { /* SDM vol. 1 13.2: x87 and SSE always; XCR0 is 1 at reset: 576 bytes */
		q(0xd, 0);
		check((r[0] & 3) == 3 && r[1] == 576 && r[2] >= r[1],
		      "leaf 0xD.0 (%x %x %x %x): x87 and SSE, 576 bytes for XCR0 1", r[0], r[1],
		      r[2], r[3]);
	}
	u32 xmax = q(0x80000000u, 0)[0];
	check(xmax >= 0x80000001u, "extended leaves up to 0x%x", xmax);
	u32 xecx = q(0x80000001u, 0)[2];
	check(!(xecx & BIT(2)), "leaf 0x80000001 ECX[2]: SVM hidden (ECX 0x%x)", xecx);
	q(0x8000000au, 0);
	check(NO_BITS(r[0] | r[1] | r[2] | r[3]), "leaf 0x8000000A (SVM features) all zero");
}

/* keel's own leaves: the signature and the TSC frequency. */
static void hypervisor_leaves(void)
{
	q(0x40000000u, 0);
	check(r[0] == HV_MAX, "leaf 0x40000000 EAX 0x%x = 0x%x", r[0], HV_MAX);
	check(r[1] == SIGNATURE && r[2] == SIGNATURE && r[3] == SIGNATURE,
	      "leaf 0x40000000 signature \"%c%c%c%c...\" is keelkeelkeel", (char)r[1],
	      (char)(r[1] >> 8), (char)(r[1] >> 16), (char)(r[1] >> 24));
	q(HV_MAX, 0);
	check(r[0] != 0, "leaf 0x40000010 EAX: TSC %u kHz, non-zero", r[0]);
}

/* One vCPU running (vCPU 0): every place an APIC ID appears says 0; the counts say ncpus. */
static void topology(u32 ncpus)
{
	u32 max = q(0, 0)[0];
	check(max >= 0xb, "leaf 0 max basic leaf 0x%x >= 0xb", max);
	u32 ebx = q(1, 0)[1], edx = r[3];
	check(ebx >> 24 == 0, "leaf 1 EBX[31:24] APIC ID %u = vCPU 0", ebx >> 24);
	check((ebx >> 16 & 0xff) == ncpus, "leaf 1 EBX[23:16] %u logical CPUs = fw_cfg %u",
	      ebx >> 16 & 0xff, ncpus);
	check(!!(edx & BIT(28)) == (ncpus > 1), "leaf 1 EDX[28] HTT %s",
	      ncpus > 1 ? "set" : "clear");
	q(0xb, 0);
	check(r[3] == 0 && r[1] == 1 && (r[2] >> 8 & 0xff) == 1,
	      "leaf 0xB.0: SMT level, 1 thread, x2APIC ID %u", r[3]);
	q(0xb, 1);
	check(r[3] == 0 && r[1] == ncpus && (r[2] >> 8 & 0xff) == 2,
	      "leaf 0xB.1: core level, %u cores (fw_cfg %u)", r[1], ncpus);
	u32 id = *(volatile u32 *)LAPIC_ID;
	check(id >> 24 == 0, "LAPIC ID register 0x%x: APIC ID 0", id);
}

int guest_main(void)
{
	u32 ncpus = (u32)fwcfg_read(0x05, 2);
	printf("cpuid: %s, %u vCPU%s\n", is_amd() ? "AMD" : "Intel", ncpus, ncpus == 1 ? "" : "s");
	check(on_keel(), "running on keel");
	hidden();
	hypervisor_leaves();
	topology(ncpus);
	return check_done();
}
