/* The guest's ACPI tables, parsed back the way an OS walks them: RSDP checksums, RSDT and
 * XSDT entries, every table's length and checksum, the FADT's registers and flags, the FACS
 * alignment, the DSDT's _S5 package, and the MADT's entries for 1 to 254 vCPUs. */
#include "tests/unit/fakes.h"
#include "vdev/vacpi.h"

#include <string.h>

#define BASE 0xe0000ull

static u8 buf[16384];

static u8 sum(const void *p, size_t n)
{
	u8 s = 0;
	for (size_t i = 0; i < n; i++)
		s = (u8)(s + ((const u8 *)p)[i]);
	return s;
}

/* The table at guest-physical gpa, checked: inside the output, length and checksum right. */
static const struct acpi_header *table(u64 gpa, size_t used, const char *sig)
{
	assert_true(gpa >= BASE && gpa + sizeof(struct acpi_header) <= BASE + used);
	const struct acpi_header *h = (const void *)(buf + (gpa - BASE));
	assert_memory_equal(h->sig, sig, 4);
	assert_true(gpa + h->length <= BASE + used);
	assert_int_equal(sum(h, h->length), 0);
	assert_memory_equal(h->oem_id, "KEEL  ", 6);
	return h;
}

static size_t build(u32 ncpus)
{
	memset(buf, 0xcc, sizeof(buf));
	struct vacpi_config cfg = {.ncpus = ncpus};
	return vacpi_build(buf, sizeof(buf), BASE, &cfg);
}

static void test_rsdp_and_roots(void **state)
{
	(void)state;
	size_t used = build(4);
	assert_true(used > 0 && used < 4096);
	const struct acpi_rsdp *r = (const void *)buf;
	assert_memory_equal(r->sig, "RSD PTR ", 8);
	assert_int_equal(sum(r, 20), 0);
	assert_int_equal(sum(r, 36), 0);
	assert_int_equal(r->revision, 2);
	assert_int_equal(r->length, 36);
	const struct acpi_header *x = table(r->xsdt, used, "XSDT");
	const struct acpi_header *rs = table(r->rsdt, used, "RSDT");
	assert_int_equal(x->length, 36 + 2 * 8);
	assert_int_equal(rs->length, 36 + 2 * 4);
	const u8 *xe = (const u8 *)(x + 1), *re = (const u8 *)(rs + 1);
	const char *sigs[] = {"FACP", "APIC"};
	for (int i = 0; i < 2; i++) {
		u64 a;
		u32 b;
		memcpy(&a, xe + 8 * i, 8);
		memcpy(&b, re + 4 * i, 4);
		assert_int_equal(a, b);
		table(a, used, sigs[i]);
	}
}

static const struct acpi_fadt *fadt(size_t used)
{
	const struct acpi_rsdp *r = (const void *)buf;
	u64 a;
	memcpy(&a, buf + (r->xsdt - BASE) + 36, 8);
	return (const struct acpi_fadt *)table(a, used, "FACP");
}

static void check_gas(const struct acpi_gas *g, u64 port, u8 bits)
{
	assert_int_equal(g->space, 1);
	assert_int_equal(g->bit_width, bits);
	assert_int_equal(g->address, port);
}

static void test_fadt(void **state)
{
	(void)state;
	size_t used = build(2);
	const struct acpi_fadt *f = fadt(used);
	assert_int_equal(f->h.length, 244);
	assert_int_equal(f->h.revision, 4);
	assert_int_equal(f->sci_int, 9);
	assert_int_equal(f->smi_cmd, 0);
	assert_int_equal(f->pm1a_evt, 0x600);
	assert_int_equal(f->pm1a_cnt, 0x604);
	assert_int_equal(f->pm_tmr, 0x608);
	assert_int_equal(f->pm1_evt_len, 4);
	assert_int_equal(f->pm1_cnt_len, 2);
	assert_int_equal(f->pm_tmr_len, 4);
	check_gas(&f->x_pm1a_evt, 0x600, 32);
	check_gas(&f->x_pm1a_cnt, 0x604, 16);
	check_gas(&f->x_pm_tmr, 0x608, 32);
	assert_int_equal(f->x_pm1b_evt.address, 0);
	assert_int_equal(f->gpe0, 0);
	check_gas(&f->reset_reg, 0xcf9, 8);
	assert_int_equal(f->reset_value, 0x06);
	assert_int_equal(f->flags & BIT(10), BIT(10));	 /* RESET_REG_SUP */
	assert_int_equal(f->flags & BIT(8), BIT(8));	 /* 32-bit PM timer */
	assert_int_equal(f->iapc_boot_arch & BIT(1), 0); /* no 8042 announced */
	assert_int_equal(f->century, 0x32);
	assert_int_equal(f->x_firmware_ctrl, 0); /* must be 0 when FIRMWARE_CTRL is set */
	assert_int_equal(f->x_dsdt, f->dsdt);
	/* The FACS: 64 bytes at a 64-byte boundary, no checksum. */
	assert_int_equal(f->firmware_ctrl % 64, 0);
	const struct acpi_facs *facs = (const void *)(buf + (f->firmware_ctrl - BASE));
	assert_memory_equal(facs->sig, "FACS", 4);
	assert_int_equal(facs->length, 64);
	assert_int_equal(facs->version, 2);
	/* The DSDT: Name (_S5, Package (4) {0, 0, 0, 0}). */
	const struct acpi_header *d = table(f->dsdt, used, "DSDT");
	const u8 aml[] = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0};
	assert_int_equal(d->length, 36 + sizeof(aml));
	assert_memory_equal(d + 1, aml, sizeof(aml));
}

/* Walk the MADT's entries, checking each one's length, and count them by type. */
static void test_madt(void **state)
{
	(void)state;
	const u32 counts[] = {1, 2, 3, 4, 8, 15, 16, 100, 254};
	for (size_t c = 0; c < ARRAY_SIZE(counts); c++) {
		u32 n = counts[c];
		size_t used = build(n);
		const struct acpi_rsdp *r = (const void *)buf;
		u64 a;
		memcpy(&a, buf + (r->xsdt - BASE) + 36 + 8, 8);
		const struct acpi_madt *m = (const void *)table(a, used, "APIC");
		assert_int_equal(m->lapic_addr, 0xfee00000);
		assert_int_equal(m->flags, 1); /* PCAT_COMPAT */
		const u8 *p = (const u8 *)(m + 1), *end = (const u8 *)m + m->h.length;
		u32 lapics = 0, ioapics = 0, isos = 0, nmis = 0;
		while (p < end) {
			assert_true(p[1] >= 2 && p + p[1] <= end);
			if (p[0] == MADT_LAPIC) {
				const struct madt_lapic *l = (const void *)p;
				assert_int_equal(l->length, 8);
				assert_int_equal(l->acpi_id, lapics);
				assert_int_equal(l->apic_id, lapics);
				assert_int_equal(l->flags, 1);
				lapics++;
			} else if (p[0] == MADT_IOAPIC) {
				const struct madt_ioapic *io = (const void *)p;
				assert_int_equal(io->id, n);
				assert_int_equal(io->address, 0xfec00000);
				assert_int_equal(io->gsi_base, 0);
				ioapics++;
			} else if (p[0] == MADT_ISO) {
				const struct madt_iso *o = (const void *)p;
				assert_int_equal(o->bus, 0);
				if (o->source == 0) {
					assert_int_equal(o->gsi, 2);
					assert_int_equal(o->flags, 0x5); /* edge, active high */
				} else {
					assert_int_equal(o->source, 9);
					assert_int_equal(o->gsi, 9);
					assert_int_equal(o->flags, 0xd); /* level, active high */
				}
				isos++;
			} else {
				const struct madt_lapic_nmi *nmi = (const void *)p;
				assert_int_equal(nmi->type, MADT_LAPIC_NMI);
				assert_int_equal(nmi->acpi_id, 0xff);
				assert_int_equal(nmi->lint, 1);
				nmis++;
			}
			p += p[1];
		}
		assert_int_equal(lapics, n);
		assert_int_equal(ioapics, 1);
		assert_int_equal(isos, 2);
		assert_int_equal(nmis, 1);
	}
}

static void test_limits(void **state)
{
	(void)state;
	struct vacpi_config cfg = {.ncpus = 4};
	size_t need = vacpi_build(buf, sizeof(buf), BASE, &cfg);
	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(vacpi_build(buf, need - 1, BASE, &cfg), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xcc); /* nothing written when it does not fit */
	assert_int_equal(vacpi_build(buf, need, BASE, &cfg), need);
	assert_int_equal(vacpi_build(buf, 10, BASE, &cfg), 0);
	cfg.ncpus = 0;
	assert_int_equal(vacpi_build(buf, sizeof(buf), BASE, &cfg), 0);
	cfg.ncpus = 255;
	assert_int_equal(vacpi_build(buf, sizeof(buf), BASE, &cfg), 0);
	cfg.ncpus = 1;
	assert_int_equal(vacpi_build(buf, sizeof(buf), BASE + 8, &cfg), 0); /* misaligned */
	assert_int_equal(vacpi_build(buf, sizeof(buf), 4 * GiB - 256, &cfg), 0);
}

static void test_other_base(void **state)
{
	(void)state;
	struct vacpi_config cfg = {.ncpus = 1};
	size_t used = vacpi_build(buf, sizeof(buf), 0x100000, &cfg);
	const struct acpi_rsdp *r = (const void *)buf;
	assert_true(r->xsdt >= 0x100000 && r->xsdt < 0x100000 + used);
	assert_int_equal(r->rsdt, r->xsdt - 0x30); /* RSDT, then XSDT 48 bytes on */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp_and_roots), cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt),	       cmocka_unit_test(test_limits),
		cmocka_unit_test(test_other_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
