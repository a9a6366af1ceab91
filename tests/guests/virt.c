/* Virtualisation instructions and bad hypercalls (README "Hypercalls"): VMRUN and its kin,
 * VMXON and its kin, the other vendor's hypercall instruction and XSETBV each raise #UD in the
 * guest; hypercalls with a bad number or buffer return their error, and from CPL 3 EPERM; the
 * VM then ends through the exit hypercall. */
#include "rt/trap.h"
#include "rt/user.h"

#define UD	   6
#define HC_VERSION 0
#define HC_PRINT   1
#define HC_EXIT	   2
#define HC_YIELD   3
#define ENOSYS	   ((u64)-1)
#define EFAULT	   ((u64)-2)
#define EPERM	   ((u64)-3)
#define EINVAL	   ((u64)-4)

static u8 vmx_region[4096] __attribute__((aligned(4096)));

/* One instruction as bytes, run with rAX (and rCX) pointing at a harmless page; the vector. */
#define TRY_BYTES(name, bytes)                                                             \
	do {                                                                               \
		u32 vec_ = TRAP_TRY(".byte " bytes, : : "a"(vmx_region), "c"(vmx_region)); \
		check(vec_ == UD, "%s raises #UD (vector %u)", name, vec_);                \
	} while (0)

/* AMD-V (APM vol. 3, "SVM instructions") and VT-x (SDM vol. 3C ch. 30) instructions. */
static void virt_insns(void)
{
	TRY_BYTES("VMRUN", "0x0f, 0x01, 0xd8");
	TRY_BYTES("VMLOAD", "0x0f, 0x01, 0xda");
	TRY_BYTES("VMSAVE", "0x0f, 0x01, 0xdb");
	TRY_BYTES("STGI", "0x0f, 0x01, 0xdc");
	TRY_BYTES("CLGI", "0x0f, 0x01, 0xdd");
	TRY_BYTES("SKINIT", "0x0f, 0x01, 0xde");
	TRY_BYTES("INVLPGA", "0x0f, 0x01, 0xdf");
	/* 0F C7 /6 and /7 with a memory operand: on AMD these are #UD natively, beyond keel's
	 * reach, and QEMU's TCG runs them as no-ops; under VT-x each exits and keel injects #UD. */
	if (is_amd()) {
		puts("SKIP: VMXON, VMCLEAR, VMPTRLD, VMPTRST: the CPU's own business on AMD\n");
	} else {
		TRY_BYTES("VMXON [rAX]", "0xf3, 0x0f, 0xc7, 0x30");
		TRY_BYTES("VMCLEAR [rAX]", "0x66, 0x0f, 0xc7, 0x30");
		TRY_BYTES("VMPTRLD [rAX]", "0x0f, 0xc7, 0x30");
		TRY_BYTES("VMPTRST [rAX]", "0x0f, 0xc7, 0x38");
	}
	TRY_BYTES("VMREAD rBX, rAX", "0x0f, 0x78, 0xc3");
	TRY_BYTES("VMWRITE rAX, rBX", "0x0f, 0x79, 0xc3");
	TRY_BYTES("VMLAUNCH", "0x0f, 0x01, 0xc2");
	TRY_BYTES("VMRESUME", "0x0f, 0x01, 0xc3");
	TRY_BYTES("VMXOFF", "0x0f, 0x01, 0xc4");
	TRY_BYTES("INVEPT rCX, [rAX]", "0x66, 0x0f, 0x38, 0x80, 0x08");
	TRY_BYTES("INVVPID rCX, [rAX]", "0x66, 0x0f, 0x38, 0x81, 0x08");
	if (is_amd())
		TRY_BYTES("VMCALL (Intel's hypercall) on AMD", "0x0f, 0x01, 0xc1");
	else
		TRY_BYTES("VMMCALL (AMD's hypercall) on Intel", "0x0f, 0x01, 0xd9");
	u32 vec = TRAP_TRY("xsetbv", : : "c"(0), "a"(1), "d"(0));
	check(vec == UD, "XSETBV with CR4.OSXSAVE clear raises #UD (vector %u)", vec);
}

/* Run at CPL 3 by user_run(): a marker value, or the VERSION hypercall with either vendor's
 * instruction, then INT 0x80 back to CPL 0 with RAX. */
void user_marker(void);
void user_vmmcall(void);
void user_vmcall(void);
__asm__(".text\n"
	"user_marker: mov $0x1234, %eax; int $0x80\n"
	"user_vmmcall: xor %eax, %eax; vmmcall; int $0x80\n"
	"user_vmcall: xor %eax, %eax; vmcall; int $0x80\n");

/* A hypercall from CPL 3 is refused: the guest's kernel decides what its user code may ask. */
static void user_hypercall(void)
{
	user_init();
	uintptr_t r = user_run(user_marker);
	check(r == 0x1234, "CPL 3 round trip returns 0x%llx", (unsigned long long)r);
	r = user_run(is_amd() ? user_vmmcall : user_vmcall);
	check(r == (uintptr_t)EPERM, "VERSION hypercall from CPL 3 returns %lld (EPERM)",
	      (long long)(intptr_t)r);
}

/* The hypercall ABI: good calls work, bad ones return an error and change nothing else. */
static void hypercalls(u64 mem)
{
	static const char msg[] = "virt: hello through the print hypercall\n";
	u64 r = hypercall(HC_VERSION, 0, 0, 0, 0);
	check(r == 1, "VERSION returns %lld", (long long)r);
	r = hypercall(HC_PRINT, (uintptr_t)msg, sizeof(msg) - 1, 0, 0);
	check(r == sizeof(msg) - 1, "PRINT of %u bytes returns %lld", (u32)sizeof(msg) - 1,
	      (long long)r);
	r = hypercall(HC_PRINT, (uintptr_t)msg, 0, 0, 0);
	check(r == 0, "PRINT of 0 bytes returns %lld", (long long)r);
	r = hypercall(HC_YIELD, 0, 0, 0, 0);
	check(r == 0, "YIELD returns %lld", (long long)r);
	static const u64 bad_nr[] = {4, 99, 0x7fffffff};
	for (unsigned i = 0; i < 3; i++) {
		r = hypercall(bad_nr[i], 0, 0, 0, 0);
		check(r == ENOSYS, "hypercall %llu returns %lld (ENOSYS)",
		      (unsigned long long)bad_nr[i], (long long)r);
	}
	r = hypercall(HC_PRINT, (uintptr_t)msg, 4097, 0, 0);
	check(r == EINVAL, "PRINT of 4097 bytes returns %lld (EINVAL)", (long long)r);
	r = hypercall(HC_PRINT, (uintptr_t)msg, ~0ull >> 1, 0, 0);
	check(r == EINVAL, "PRINT of 2^63 bytes returns %lld (EINVAL)", (long long)r);
	r = hypercall(HC_PRINT, 0xf0000000u, 16, 0, 0);
	check(r == EFAULT, "PRINT from 0xf0000000 (no RAM) returns %lld (EFAULT)", (long long)r);
	r = hypercall(HC_PRINT, (uintptr_t)(mem - 8), 16, 0, 0);
	check(r == EFAULT, "PRINT across the end of RAM returns %lld (EFAULT)", (long long)r);
#if defined(__x86_64__)
	r = hypercall(HC_PRINT, 0x8000000000ull, 16, 0, 0);
	check(r == EFAULT, "PRINT from 512 GiB (not in the page tables) returns %lld (EFAULT)",
	      (long long)r);
	r = hypercall(HC_PRINT, 0x8000000000000000ull, 16, 0, 0);
	check(r == EFAULT, "PRINT from a non-canonical address returns %lld (EFAULT)",
	      (long long)r);
#endif
}

int guest_main(void)
{
	trap_init();
	u64 mem = fwcfg_read(0x03, 8);
	printf("virt: %d-bit guest on %s, %llu MiB\n", (int)sizeof(void *) * 8,
	       is_amd() ? "AMD" : "Intel", (unsigned long long)(mem >> 20));
	virt_insns();
	if (!check(on_keel(), "running on keel"))
		return check_done();
	hypercalls(mem);
	user_hypercall();
	int status = check_done();
	hypercall(HC_EXIT, (u64)status, 0, 0, 0);
	check(false, "still running after the exit hypercall");
	return 1;
}
