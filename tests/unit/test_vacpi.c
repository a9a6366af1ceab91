/* The guest's ACPI tables, parsed back the way an OS walks them: RSDP checksums, RSDT and
 * XSDT entries, every table's length and checksum, the FADT's registers and flags, the FACS
 * alignment, the DSDT's _S5 package, and the MADT's entries for 1 to 254 vCPUs; the AML
 * writer's encodings and the DSDT's PCI root (_HID, _CRS, _PRT), byte by byte. */
#include "tests/unit/fakes.h"
#include "vdev/aml.h"
#include "vdev/vacpi.h"
#include "vdev/vpci.h"

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
	/* The DSDT opens with Name (_S5, Package (4) {0, 0, 0, 0}); the PCI root follows. */
	const struct acpi_header *d = table(f->dsdt, used, "DSDT");
	const u8 aml[] = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0};
	assert_true(d->length > 36 + sizeof(aml));
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

/* AML's encodings (ACPI 6.5 20.2): integers, names, PkgLength at its 1-, 2- and 3-byte limits. */
static void test_aml_encodings(void **state)
{
	(void)state;
	static u8 out[8192];
	struct aml a = {out, 0, sizeof(out), false};
	aml_int(&a, 0);
	aml_int(&a, 1);
	aml_int(&a, ~0ull);
	aml_int(&a, 0x10);
	aml_int(&a, 0x1234);
	aml_int(&a, 0x0001ffff);
	aml_int(&a, 0x100000000ull);
	const u8 ints[] = {0x00, 0x01, 0xff, 0x0a, 0x10, 0x0b, 0x34, 0x12, 0x0c, 0xff, 0xff,
			   0x01, 0x00, 0x0e, 0,	   0,	 0,    0,    1,	   0,	 0,    0};
	assert_int_equal(a.len, sizeof(ints));
	assert_memory_equal(out, ints, sizeof(ints));
	assert_int_equal(aml_eisaid("PNP0A03"), 0x030ad041);
	assert_int_equal(aml_eisaid("PNP0C0F"), 0x0f0cd041);
	a.len = 0;
	aml_name(&a, "_S5");
	aml_nameseg(&a, "\\_SB");
	assert_int_equal(a.len, 10);
	assert_memory_equal(out, "\x08_S5_\\_SB_", 10);
	/* Bodies of 62, 63, 4093 and 4094 bytes: lengths 63 (1 byte), 65 (2), 4095 (2), 4097 (3). */
	const u32 bodies[] = {62, 63, 4093, 4094}, totals[] = {63, 65, 4095, 4097};
	const u8 first[] = {63, 0x41, 0x4f, 0x81};
	for (int i = 0; i < 4; i++) {
		a.len = 0;
		u32 at = aml_open(&a);
		memset(out, 0x5a, bodies[i]);
		a.len = bodies[i];
		aml_close(&a, at);
		assert_int_equal(a.len, totals[i]);
		assert_int_equal(out[0], first[i]);
		assert_int_equal(out[totals[i] - 1], 0x5a); /* the body moved up, whole */
		assert_int_equal(out[totals[i] - bodies[i]], 0x5a);
		struct aml m = {0};
		u32 mat = aml_open(&m);
		m.len = bodies[i];
		aml_close(&m, mat);
		assert_int_equal(m.len, totals[i]); /* measuring gives the same length */
	}
	assert_int_equal(out[1],
			 0x00); /* 4097 = 0x1001: nibble 1 in the first byte, then 0x00, 0x01 */
	assert_int_equal(out[2], 0x01);
	struct aml small = {out, 0, 3, false};
	aml_int(&small, 0x12345678);
	assert_true(small.full);
}

/* A PkgLength at p: the length it gives and, in *n, its own bytes. */
static u32 pkglen(const u8 *p, u32 *n)
{
	*n = 1 + (p[0] >> 6);
	if (*n == 1)
		return p[0];
	u32 len = p[0] & 0xf;
	for (u32 i = 1; i < *n; i++)
		len |= (u32)p[i] << (4 + 8 * (i - 1));
	return len;
}

/* An integer object at *p (Zero, One, Byte, Word, DWord), *p moved past it. */
static u32 aml_int_at(const u8 **p)
{
	u8 op = *(*p)++;
	u32 n = op == 0x0a ? 1 : op == 0x0b ? 2 : op == 0x0c ? 4 : 0, v = 0;
	if (op == 0x00 || op == 0x01)
		return op;
	assert_true(n);
	for (u32 i = 0; i < n; i++)
		v |= (u32) * (*p)++ << (8 * i);
	return v;
}

/* The first place name (4 bytes) occurs in [p, end), or NULL. */
static const u8 *find(const u8 *p, const u8 *end, const char *name)
{
	for (; p + 4 <= end; p++)
		if (!memcmp(p, name, 4))
			return p;
	return NULL;
}

/* The DSDT's PCI root: Scope (\_SB) { Device (PCI0) {...} } whose lengths add up, _HID
 * PNP0A03, _UID/_ADR/_BBN 0, the _CRS descriptors, and a _PRT entry per slot and pin. */
static void test_dsdt_pci_root(void **state)
{
	(void)state;
	size_t used = build(2);
	const struct acpi_fadt *f = fadt(used);
	const struct acpi_header *d = table(f->dsdt, used, "DSDT");
	const u8 *p = (const u8 *)(d + 1) + 12, *end = (const u8 *)d + d->length;
	u32 n;
	assert_int_equal(p[0], 0x10); /* ScopeOp */
	assert_int_equal(p + 1 + pkglen(p + 1, &n), end);
	assert_memory_equal(p + 1 + n, "\\_SB_", 5);
	p += 1 + n + 5;
	assert_int_equal(p[0], 0x5b); /* DeviceOp */
	assert_int_equal(p[1], 0x82);
	assert_int_equal(p + 2 + pkglen(p + 2, &n), end);
	assert_memory_equal(p + 2 + n, "PCI0", 4);
	const u8 hid[] = {0x08, '_',  'H',  'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03,
			  0x08, '_',  'U',  'I', 'D', 0x00, 0x08, '_',	'A',  'D',
			  'R',	0x00, 0x08, '_', 'B', 'B',  'N',  0x00};
	assert_memory_equal(p + 2 + n + 4, hid, sizeof(hid));
	/* _CRS: a Buffer of the descriptors. */
	const u8 *c = find(p, end, "_CRS");
	assert_non_null(c);
	assert_int_equal(c[4], 0x11);
	u32 blen = pkglen(c + 5, &n);
	const u8 *b = c + 5 + n;
	u32 size = aml_int_at(&b);
	assert_int_equal(b + size, c + 5 + blen);
	const u8 crs[] = {0x88, 13,   0,    2,	  0x0c, 0,    0,    0,	  0,	0,
			  0xff, 0,    0,    0,	  0,	1,	       /* buses 0-255 */
			  0x47, 1,    0xf8, 0x0c, 0xf8, 0x0c, 1,    8, /* 0xcf8, 8 ports */
			  0x88, 13,   0,    1,	  0x0c, 3,    0,    0,	  0,	0,
			  0xf7, 0x0c, 0,    0,	  0xf8, 0x0c, /* I/O low */
			  0x88, 13,   0,    1,	  0x0c, 3,    0,    0,	  0,	0x0d,
			  0xff, 0xff, 0,    0,	  0,	0xf3, /* I/O high */
			  0x87, 23,   0,    0,	  0x0c, 3,    0,    0,	  0,	0,
			  0,	0,    0x0a, 0,	  0xff, 0xff, 0x0b, 0, /* VGA */
			  0,	0,    0,    0,	  0,	0,    2,    0,	  0x87, 23,
			  0,	0,    0x0c, 1,	  0,	0,    0,    0,	  0,	0,
			  0,	0xc0, 0xff, 0xff, 0xbf, 0xfe, /* BARs */
			  0,	0,    0,    0,	  0,	0,    0xc0, 0x3e, 0x79, 0};
	assert_int_equal(size, sizeof(crs));
	assert_memory_equal(b, crs, sizeof(crs));
	/* _PRT: 124 packages {slot << 16 | 0xffff, pin, 0, GSI 16 + (slot + pin) % 8}. */
	const u8 *r = find(p, end, "_PRT");
	assert_non_null(r);
	assert_int_equal(r[4], 0x12);
	u32 plen = pkglen(r + 5, &n);
	assert_int_equal(r + 5 + plen, end); /* the device's last object */
	const u8 *e = r + 5 + n;
	assert_int_equal(*e++, 124);
	for (u32 s = 1; s < 32; s++)
		for (u32 pin = 0; pin < 4; pin++) {
			assert_int_equal(*e++, 0x12);
			const u8 *next = e + pkglen(e, &n);
			e += n;
			assert_int_equal(*e++, 4);
			assert_int_equal(aml_int_at(&e), s << 16 | 0xffff);
			assert_int_equal(aml_int_at(&e), pin);
			assert_int_equal(aml_int_at(&e), 0);
			u32 gsi = aml_int_at(&e);
			assert_int_equal(gsi, 16 + (s + pin) % 8);
			if (pin == 0)
				assert_int_equal(gsi, vpci_slot_gsi(s));
			assert_ptr_equal(e, next);
		}
	assert_ptr_equal(e, end);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp_and_roots), cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt),	       cmocka_unit_test(test_limits),
		cmocka_unit_test(test_other_base),     cmocka_unit_test(test_aml_encodings),
		cmocka_unit_test(test_dsdt_pci_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
