/* The vCPU record's checks (vm/vcpu_rec_check.c) and header (vm/vrecord.c): a record from a
 * file that is truncated, of another kind or version, or has a field keel would fault on or the
 * backends could not enter is refused with a reason. */
#include "tests/unit/fakes_vdev.h"
#include "kernel/x86.h"
#include "vm/vcpu_rec_int.h"

#include <string.h>

static const struct vcpu_rec_host host = {XCR0_X87 | XCR0_SSE | XCR0_AVX, 0xffff, 39, 7};

/* A 64-bit guest's state as keel's loader leaves it. */
static struct vcpu_rec good(void)
{
	struct vcpu_rec r = {0};
	r.rflags = 2, r.cr0 = CR0_PE | CR0_PG | CR0_ET, r.cr4 = CR4_PAE, r.cr3 = 0x1000;
	r.efer = EFER_LME | EFER_LMA, r.pat = 0x0007040600070406ull, r.dr6 = 0xffff0ff0;
	r.dr7 = 0x400;
	for (int i = 0; i < RSEG_N; i++)
		r.seg[i] = (struct vrec_seg){0x10, 0x93, 0xffffffff, 0};
	r.seg[RSEG_CS].attr = 0x29b, r.seg[RSEG_TR].attr = 0x8b;
	r.xcr0 = XCR0_X87;
	*(u64 *)(r.xsave + XREC_BV) = 3;
	*(u32 *)(r.xsave + 24) = 0x1f80;
	return r;
}

static void refused(struct vcpu_rec r, const char *why)
{
	const char *got = vcpu_rec_check(&r, &host);
	assert_non_null(got);
	assert_string_equal(got, why);
}

static void test_good(void **state)
{
	(void)state;
	struct vcpu_rec r = good();
	assert_null(vcpu_rec_check(&r, &host));
}

static void test_control(void **state)
{
	(void)state;
	struct vcpu_rec r = good();
	r.rflags = 0, refused(r, "bad RFLAGS");
	r = good(), r.rflags |= BIT(40), refused(r, "bad RFLAGS");
	r = good(), r.cr0 |= BIT(40), refused(r, "reserved CR0 bits set");
	r = good(), r.cr0 = CR0_PG, r.efer = 0, refused(r, "CR0.PG without PE");
	r = good(), r.cr4 |= CR4_VMXE, refused(r, "reserved CR4 bits set");
	r = good(), r.cr3 = 1ull << 45, refused(r, "CR3 beyond MAXPHYADDR");
	r = good(), r.efer |= BIT(12), refused(r, "reserved EFER bits set");
	r = good(), r.efer = EFER_LME, refused(r, "EFER.LMA disagrees with LME and CR0.PG");
	r = good(), r.cr4 = 0, refused(r, "long mode without CR4.PAE");
	r = good(), r.seg[RSEG_CS].attr |= SEG_ATTR_DB, refused(r, "CS has both L and D");
	r = good(), r.pat = 2, refused(r, "bad PAT");
	r = good(), r.dr6 |= 1ull << 32, refused(r, "reserved DR6/DR7 bits set");
}

static void test_addresses(void **state)
{
	(void)state;
	struct vcpu_rec r = good();
	r.rip = 1ull << 50, refused(r, "non-canonical RIP");
	r = good(), r.lstar = 0x0000800000000000ull, refused(r, "non-canonical SYSCALL MSR");
	r = good(), r.lstar = 0xffff800000000000ull;
	assert_null(vcpu_rec_check(&r, &host));
	r = good(), r.seg[RSEG_FS].base = 1ull << 60, refused(r, "non-canonical segment base");
	r = good(), r.seg[RSEG_CS].attr |= 0x1000, refused(r, "bad segment attributes");
	r = good(), r.seg[RSEG_TR].attr = 0, refused(r, "TR unusable");
	r = good(), r.sfmask = 1ull << 32, refused(r, "reserved SFMASK bits set");
	r = good(), r.tsc_aux = 1ull << 32, refused(r, "reserved TSC_AUX bits set");
	r = good(), r.dr[2] = 1ull << 63, refused(r, "non-canonical DR0-DR3");
	r = good(), r.spec_ctrl = 8, refused(r, "SPEC_CTRL bits this host lacks");
}

static void test_events(void **state)
{
	(void)state;
	struct vcpu_rec r = good();
	r.pending = (struct vrec_event){1, 14, EVENT_EXCEPTION, 1, 2};
	assert_null(vcpu_rec_check(&r, &host));
	r.pending.type = 7, refused(r, "bad event type");
	r.pending = (struct vrec_event){1, 3, EVENT_NMI, 0, 0},
	refused(r, "NMI with another vector");
	r.pending = (struct vrec_event){1, 40, EVENT_EXCEPTION, 0, 0};
	refused(r, "bad exception vector");
	r.pending = (struct vrec_event){1, 6, EVENT_EXCEPTION, 1, 0};
	refused(r, "error code on an event that has none");
	r.pending = (struct vrec_event){1, 13, EVENT_EXCEPTION, 1, 0x10000};
	refused(r, "bad event error code");
	r = good(), r.shadow = 3, refused(r, "bad interrupt shadow");
	r = good(), r.state = VCPU_STOPPED, refused(r, "bad run state");
	r = good(), r.sipi_vector = 300, refused(r, "bad SIPI vector");
}

static void test_xstate(void **state)
{
	(void)state;
	struct vcpu_rec r = good();
	*(u64 *)(r.xsave + XREC_BV) = 3 | XCR0_PKRU;
	refused(r, "extended state component this host lacks");
	r = good(), r.xsave[XREC_BV + 8] = 1, refused(r, "XSAVE header not in the standard form");
	r = good(), *(u32 *)(r.xsave + 24) = 1u << 20, refused(r, "reserved MXCSR bits set");
	r = good(), r.xcr0 = 0, refused(r, "XCR0 component this host lacks");
	r = good(), r.xcr0 = XCR0_X87 | XCR0_AVX, refused(r, "XCR0 has AVX without SSE");
	r = good(), r.xcr0 = 7;
	assert_null(vcpu_rec_check(&r, &host));
	struct vcpu_rec_host fx = {0, 0xffff, 39, 0};
	assert_string_equal(vcpu_rec_check(&r, &fx), "XCR0 component this host lacks");
}

/* The header: a truncated record, another kind, another version. */
static void test_header(void **state)
{
	(void)state;
	static u8 buf[VCPU_REC_MAX];
	struct vcpu_rec r = good(), out;
	struct vrec_reader rd;
	u64 n = vrec_write(buf, sizeof(buf), VREC_VCPU, VCPU_REC_VERSION, &r, sizeof(r));
	assert_true(n > sizeof(r));
	assert_true(
		vrec_open(&rd, buf, n, VREC_VCPU, VCPU_REC_VERSION, &out, sizeof(out), fake_now));
	assert_memory_equal(&out, &r, sizeof(r));
	assert_false(vrec_open(&rd, buf, n - 1, VREC_VCPU, VCPU_REC_VERSION, &out, sizeof(out),
			       fake_now));
	assert_string_equal(rd.why, "truncated record");
	assert_false(
		vrec_open(&rd, buf, n, VREC_LAPIC, VCPU_REC_VERSION, &out, sizeof(out), fake_now));
	assert_string_equal(rd.why, "record of another device");
	assert_false(vrec_open(&rd, buf, n, VREC_VCPU, VCPU_REC_VERSION + 1, &out, sizeof(out),
			       fake_now));
	assert_string_equal(rd.why, "unknown record version");
	assert_int_equal(vrec_write(buf, 100, VREC_VCPU, 1, &r, sizeof(r)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),	  cmocka_unit_test(test_control),
		cmocka_unit_test(test_addresses), cmocka_unit_test(test_events),
		cmocka_unit_test(test_xstate),	  cmocka_unit_test(test_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
