/* ACPI table discovery: RSDP, RSDT/XSDT, MADT, FADT and the \_S5 object in the DSDT. Tables are
 * read through the identity map, checksummed, and their extents recorded. */
#include "drivers/acpi.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "kernel/x86.h"

struct acpi_info acpi;

struct rsdp {
	char sig[8];	/* 0: "RSD PTR " */
	u8 checksum;	/* 8: first 20 bytes */
	char oem[6];	/* 9 */
	u8 revision;	/* 15: 0 = ACPI 1.0, 2 = 2.0+ */
	u32 rsdt;	/* 16 */
	u32 length;	/* 20 */
	u64 xsdt;	/* 24 */
	u8 xchecksum;	/* 32: whole structure */
	u8 reserved[3]; /* 33 */
} __packed;
_Static_assert(sizeof(struct rsdp) == 36, "RSDP layout");

struct sdt {
	char sig[4];		  /* 0 */
	u32 length;		  /* 4 */
	u8 revision;		  /* 8 */
	u8 checksum;		  /* 9 */
	char oem[6];		  /* 10 */
	char oem_table[8];	  /* 16 */
	u32 oem_rev;		  /* 24 */
	u32 creator, creator_rev; /* 28 */
} __packed;
_Static_assert(sizeof(struct sdt) == 36, "SDT header layout");

/* Tables keel can reach before its own page tables exist: the boot map covers 4 GiB. */
#define REACHABLE (4 * GiB)

static u8 sum(const void *p, size_t n)
{
	u8 s = 0;
	for (size_t i = 0; i < n; i++)
		s += ((const u8 *)p)[i];
	return s;
}

static bool rsdp_ok(const struct rsdp *r)
{
	if (memcmp(r->sig, "RSD PTR ", 8) || sum(r, 20))
		return false;
	return r->revision < 2 || (r->length >= 36 && r->length < 4096 && !sum(r, 36));
}

static const struct rsdp *scan(u64 start, u64 len)
{
	for (u64 a = start; a + 36 <= start + len; a += 16) {
		const struct rsdp *r = (const void *)(uintptr_t)a;
		if (rsdp_ok(r)) {
			acpi.rsdp_addr = a;
			return r;
		}
	}
	return NULL;
}

/* Map a table's header, check length and checksum, record its extent. */
static const struct sdt *table(u64 pa)
{
	if (!pa || pa + sizeof(struct sdt) > REACHABLE) {
		log_warn("acpi: table at %#llx is out of reach; skipped", pa);
		return NULL;
	}
	const struct sdt *t = (const void *)(uintptr_t)pa;
	if (t->length < sizeof(*t) || t->length > 16 * MiB || pa + t->length > REACHABLE) {
		log_warn("acpi: table %.4s at %#llx has bad length %u; skipped", t->sig, pa,
			 t->length);
		return NULL;
	}
	if (sum(t, t->length))
		log_warn("acpi: table %.4s has a bad checksum; using it anyway", t->sig);
	if (acpi.ntables < ACPI_MAX_TABLES)
		acpi.tables[acpi.ntables++] = (struct boot_range){pa, pa + t->length};
	return t;
}

static void parse_madt(const struct sdt *t)
{
	const u8 *p = (const u8 *)t;
	acpi.lapic_addr = *(const u32 *)(p + 36);
	acpi.has_8259 = *(const u32 *)(p + 40) & 1;
	for (u32 off = 44; off + 2 <= t->length;) {
		u8 type = p[off], len = p[off + 1];
		if (len < 2 || off + len > t->length) {
			log_warn("acpi: MADT entry at +%u has bad length %u; rest ignored", off,
				 len);
			break;
		}
		const u8 *e = p + off;
		if ((type == 0 && len >= 8) || (type == 9 && len >= 16)) {
			/* type 0: processor LAPIC; type 9: processor x2APIC */
			u32 flags = type == 0 ? *(const u32 *)(e + 4) : *(const u32 *)(e + 8);
			u32 apic = type == 0 ? e[3] : *(const u32 *)(e + 4);
			u32 uid = type == 0 ? e[2] : *(const u32 *)(e + 12);
			bool usable = flags & 3; /* enabled, or online-capable */
			if (usable && acpi.ncpus < ACPI_MAX_CPUS)
				acpi.cpu[acpi.ncpus++] = (struct acpi_cpu){apic, uid, flags & 1};
		} else if (type == 1 && len >= 12 && acpi.nioapics < ACPI_MAX_IOAPICS) {
			int i = acpi.nioapics++;
			acpi.ioapic[i].id = e[2];
			acpi.ioapic[i].addr = *(const u32 *)(e + 4);
			acpi.ioapic[i].gsi_base = *(const u32 *)(e + 8);
		} else if (type == 2 && len >= 10 && e[2] == 0 && e[3] < 16) {
			/* interrupt source override: ISA IRQ e[3] is another GSI */
			acpi.isa_irq[e[3]].gsi = *(const u32 *)(e + 4);
			acpi.isa_irq[e[3]].flags = *(const u16 *)(e + 8);
		} else if (type == 5 && len >= 12) {
			acpi.lapic_addr = *(const u64 *)(e + 4);
		}
		off += len;
	}
}

/* Find the \_S5_ package in AML and read SLP_TYPa/b (ACPI 7.4.2). A byte scan, not an AML
 * interpreter: it handles the shapes firmware actually emits. */
static void find_s5(const struct sdt *dsdt)
{
	const u8 *p = (const u8 *)dsdt + sizeof(*dsdt);
	u32 n = dsdt->length - (u32)sizeof(*dsdt);
	for (u32 i = 0; i + 12 < n; i++) {
		if (memcmp(p + i, "_S5_", 4) || p[i + 4] != 0x12)
			continue;
		u32 j = i + 5;
		j += 1 + (p[j] >> 6); /* PkgLength: bits 7:6 count the extra bytes */
		j++;		      /* NumElements */
		u8 v[2];
		for (int k = 0; k < 2; k++) {
			if (j >= n)
				return;
			if (p[j] == 0x0a) /* BytePrefix */
				v[k] = p[j + 1], j += 2;
			else if (p[j] == 0x00 || p[j] == 0x01) /* ZeroOp, OneOp */
				v[k] = p[j], j += 1;
			else
				v[k] = p[j], j += 1;
		}
		acpi.slp_typa = v[0] & 7;
		acpi.slp_typb = v[1] & 7;
		acpi.s5_valid = true;
		return;
	}
}

/* MCFG (PCI Firmware 3.x, 4.1.2): 8 reserved bytes after the header, then 16-byte entries
 * {u64 base, u16 segment, u8 start bus, u8 end bus, u32 reserved}. keel uses segment 0's. */
static void parse_mcfg(const struct sdt *t)
{
	for (u32 off = 44; off + 16 <= t->length; off += 16) {
		const u8 *e = (const u8 *)t + off;
		u64 base;
		u16 seg;
		memcpy(&base, e, 8);
		memcpy(&seg, e + 8, 2);
		if (seg || !base || e[11] < e[10])
			continue;
		acpi.ecam_base = base;
		acpi.ecam_bus_start = e[10];
		acpi.ecam_bus_end = e[11];
		return;
	}
}

static void parse_fadt(const struct sdt *t)
{
	const u8 *p = (const u8 *)t;
	u32 len = t->length;
	u64 dsdt = len >= 44 ? *(const u32 *)(p + 40) : 0;
	if (len >= 148 && *(const u64 *)(p + 140))
		dsdt = *(const u64 *)(p + 140);
	if (len >= 72) {
		acpi.pm1a_cnt = (u16) * (const u32 *)(p + 64);
		acpi.pm1b_cnt = (u16) * (const u32 *)(p + 68);
	}
	if (len >= 92 && p[91] == 4)
		acpi.pm_timer_port = (u16) * (const u32 *)(p + 76);
	if (len >= 116)
		acpi.pm_timer_32bit = *(const u32 *)(p + 112) & BIT(8);
	if (len >= 111)
		acpi.has_8042 = *(const u16 *)(p + 109) & BIT(1);
	if (len >= 129 && (*(const u32 *)(p + 112) & BIT(10))) {
		acpi.reset_valid = p[116] <= 1; /* memory or I/O space only */
		acpi.reset_space = p[116];
		acpi.reset_addr = *(const u64 *)(p + 120);
		acpi.reset_value = p[128];
	}
	const struct sdt *d = dsdt ? table(dsdt) : NULL;
	if (d && !memcmp(d->sig, "DSDT", 4))
		find_s5(d);
}

void acpi_init(const struct boot_info *bi)
{
	const struct rsdp *r = NULL;
	memset(&acpi, 0, sizeof(acpi));
	for (u32 i = 0; i < 16; i++)
		acpi.isa_irq[i].gsi = i;
	if (bi->rsdp_len >= 20 && rsdp_ok((const struct rsdp *)bi->rsdp))
		r = (const struct rsdp *)bi->rsdp;
	if (!r) {
		uintptr_t bda = 0x40e;	 /* BIOS data area: EBDA segment */
		__asm__("" : "+r"(bda)); /* a real address, not a null-page constant to gcc */
		u64 ebda = (u64)(*(const u16 *)bda) << 4;
		if (ebda >= 0x80000 && ebda < 0xa0000)
			r = scan(ebda, 1024);
		if (!r)
			r = scan(0xe0000, 0x20000);
	}
	if (!r) {
		log_warn("acpi: no RSDP found: one CPU, no power-off, no PM timer");
		return;
	}
	acpi.present = true;
	acpi.revision = r->revision;
	memcpy(acpi.oem, r->oem, 6);
	u64 root = r->revision >= 2 && r->xsdt ? r->xsdt : r->rsdt;
	u32 esize = root == r->rsdt ? 4 : 8;
	const struct sdt *rt = table(root);
	if (!rt) {
		acpi.present = false;
		return;
	}
	u32 n = (rt->length - (u32)sizeof(*rt)) / esize;
	const u8 *ents = (const u8 *)rt + sizeof(*rt);
	for (u32 i = 0; i < n; i++) {
		u64 pa = esize == 4 ? *(const u32 *)(ents + 4 * i) : *(const u64 *)(ents + 8 * i);
		const struct sdt *t = table(pa);
		if (!t)
			continue;
		if (!memcmp(t->sig, "APIC", 4))
			parse_madt(t);
		else if (!memcmp(t->sig, "FACP", 4))
			parse_fadt(t);
		else if (!memcmp(t->sig, "MCFG", 4))
			parse_mcfg(t);
	}
	log_info("acpi: revision %u, OEM \"%s\", %d CPU%s, %d IOAPIC%s, PM timer %s%#x, %s",
		 acpi.revision, acpi.oem, acpi.ncpus, acpi.ncpus == 1 ? "" : "s", acpi.nioapics,
		 acpi.nioapics == 1 ? "" : "s", acpi.pm_timer_port ? "at " : "none ",
		 acpi.pm_timer_port, acpi.s5_valid ? "S5 power-off" : "no S5");
}

void acpi_power_off(void)
{
	if (!acpi.pm1a_cnt || !acpi.s5_valid)
		return;
	/* PM1 control: SLP_TYP in bits 12:10, SLP_EN is bit 13 (ACPI 4.8.3.2.1). */
	outw(acpi.pm1a_cnt, (u16)(acpi.slp_typa << 10 | BIT(13)));
	if (acpi.pm1b_cnt)
		outw(acpi.pm1b_cnt, (u16)(acpi.slp_typb << 10 | BIT(13)));
	for (int i = 0; i < 1000000; i++)
		cpu_relax();
}

void acpi_reset(void)
{
	if (acpi.reset_valid) {
		if (acpi.reset_space == 1)
			outb((u16)acpi.reset_addr, acpi.reset_value);
		else
			*(volatile u8 *)(uintptr_t)acpi.reset_addr = acpi.reset_value;
	}
	outb(0xcf9, 0x02); /* PCI reset control: select hard reset... */
	outb(0xcf9, 0x06); /* ...then do it */
	outb(0x64, 0xfe);  /* keyboard controller: pulse the reset line */
}
