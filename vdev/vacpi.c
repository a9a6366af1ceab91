/* The guest's ACPI tables (ACPI 6.5 chapter 5), laid out one after another from base_gpa:
 * RSDP, FACS, RSDT, XSDT, FADT, DSDT, MADT. They describe keel's virtual PC: the PM registers
 * of vdev/vpm.c, reset through 0xcf9 (vdev/vpci.c), the RTC's century byte, no 8042 announced
 * (vdev/vkbd.c has no keyboard), and the interrupt wiring of vdev/vlapic.c: ISA IRQ 0 on I/O
 * APIC pin 2, the SCI on pin 9, level-triggered. */
#include "vdev/vacpi.h"
#include "lib/string.h"
#include "vdev/aml.h"
#include "vdev/vioapic.h"
#include "vdev/vlapic.h"
#include "vdev/vpm.h"
#include "vdev/vrtc.h"

#define OEM_ID	    "KEEL  "
#define OEM_TABLE   "KEELVM  "
#define CREATOR	    "KEEL"
#define SCI_IRQ	    9
#define RESET_PORT  0xcf9
#define RESET_VALUE 0x06 /* PIIX RCR: system reset + RST_CPU */

/* FADT flags (5.2.9, table 5.10) and IA-PC boot architecture flags (5.2.9.3). */
#define FADT_WBINVD	    BIT(0)
#define FADT_PROC_C1	    BIT(2)
#define FADT_PWR_BUTTON	    BIT(4) /* set: no fixed-feature power button */
#define FADT_SLP_BUTTON	    BIT(5) /* set: no fixed-feature sleep button */
#define FADT_TMR_VAL_EXT    BIT(8) /* the PM timer is 32 bits wide */
#define FADT_RESET_REG_SUP  BIT(10)
#define BOOT_LEGACY_DEVICES BIT(0) /* ISA devices: the UART, RTC, PIC, PIT */
#define BOOT_VGA_ABSENT	    BIT(2)

/* The byte that makes n bytes sum to zero (5.2.6: Checksum). */
static u8 checksum(const void *p, size_t n)
{
	u8 sum = 0;
	for (size_t i = 0; i < n; i++)
		sum = (u8)(sum + ((const u8 *)p)[i]);
	return (u8)-sum;
}

/* Fill a table's header and, last, its checksum over the whole table. */
static void header(void *table, const char *sig, u32 length, u8 revision)
{
	struct acpi_header *h = table;
	memcpy(h->sig, sig, 4);
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, CREATOR, 4);
	h->creator_revision = 1;
	h->checksum = checksum(table, length);
}

/* A generic address in system I/O space. */
static struct acpi_gas io_gas(u64 port, u8 bytes, u8 access)
{
	return (struct acpi_gas){
		.space = 1, .bit_width = (u8)(8 * bytes), .access_size = access, .address = port};
}

/* The FADT (5.2.9): the PM registers of vdev/vpm.c, the SCI, reset, boot flags. */
static void fadt(struct acpi_fadt *f, u32 facs, u32 dsdt)
{
	*f = (struct acpi_fadt){
		.firmware_ctrl = facs, /* X_FIRMWARE_CTRL must then be 0 (5.2.9, table 5.9) */
		.dsdt = dsdt,
		.x_dsdt = dsdt,
		.sci_int = SCI_IRQ,
		.pm1a_evt = VPM_EVT,
		.pm1a_cnt = VPM_CNT,
		.pm_tmr = VPM_TMR,
		.pm1_evt_len = 4,
		.pm1_cnt_len = 2,
		.pm_tmr_len = 4,
		.x_pm1a_evt = io_gas(VPM_EVT, 4, 2),
		.x_pm1a_cnt = io_gas(VPM_CNT, 2, 2),
		.x_pm_tmr = io_gas(VPM_TMR, 4, 3),
		.p_lvl2_lat = 101,
		.p_lvl3_lat = 1001, /* no C2, no C3 (5.2.9) */
		.century = CMOS_CENTURY,
		.iapc_boot_arch = BOOT_LEGACY_DEVICES | BOOT_VGA_ABSENT,
		/* PWR_BUTTON clear: the power button is a fixed feature (4.8.2.2.1), PM1's
		 * PWRBTN_STS/EN (system_powerdown, vdev/vpm.c); no sleep button. */
		.flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_TMR_VAL_EXT |
			 FADT_RESET_REG_SUP,
		.reset_reg = io_gas(RESET_PORT, 1, 1),
		.reset_value = RESET_VALUE,
	};
	header(f, "FACP", sizeof(*f), 4);
}

/* The MADT (5.2.12): the LAPICs, the I/O APIC, the ISA overrides and LINT1 as NMI. */
static u32 madt(u8 *p, u32 ncpus)
{
	struct acpi_madt *m = (struct acpi_madt *)p;
	u32 n = sizeof(*m);
	*m = (struct acpi_madt){.lapic_addr = (u32)VLAPIC_BASE, .flags = 1};
	for (u32 i = 0; i < ncpus; i++, n += sizeof(struct madt_lapic))
		*(struct madt_lapic *)(p + n) =
			(struct madt_lapic){MADT_LAPIC, sizeof(struct madt_lapic), (u8)i, (u8)i, 1};
	*(struct madt_ioapic *)(p + n) = (struct madt_ioapic){
		MADT_IOAPIC, sizeof(struct madt_ioapic), (u8)ncpus, 0, (u32)VIOAPIC_BASE, 0};
	n += sizeof(struct madt_ioapic);
	const struct madt_iso iso[] = {
		{MADT_ISO, sizeof(struct madt_iso), 0, 0, 2, 0x0005},		  /* edge */
		{MADT_ISO, sizeof(struct madt_iso), 0, SCI_IRQ, SCI_IRQ, 0x000d}, /* level */
	};
	memcpy(p + n, iso, sizeof(iso));
	n += sizeof(iso);
	*(struct madt_lapic_nmi *)(p + n) =
		(struct madt_lapic_nmi){MADT_LAPIC_NMI, sizeof(struct madt_lapic_nmi), 0xff, 0, 1};
	n += sizeof(struct madt_lapic_nmi);
	header(m, "APIC", n, 4);
	return n;
}

/* Room for one table of len bytes at the next multiple of align; its offset, or 0 if full. */
static size_t place(size_t *used, size_t len, size_t align, size_t cap)
{
	size_t at = ALIGN_UP(*used, align);
	if (at + len > cap)
		return 0;
	*used = at + len;
	return at;
}

/* Place every table, then fill them, pointers last (checksums cover them). */
size_t vacpi_build(u8 *buf, size_t cap, u64 base_gpa, const struct vacpi_config *cfg)
{
	u32 ncpus = cfg->ncpus;
	size_t used = 0, madt_len = sizeof(struct acpi_madt) + ncpus * sizeof(struct madt_lapic) +
				    sizeof(struct madt_ioapic) + 2 * sizeof(struct madt_iso) +
				    sizeof(struct madt_lapic_nmi);
	if (!ncpus || ncpus > 254 || cap < sizeof(struct acpi_rsdp) || base_gpa % 16)
		return 0;
	used = sizeof(struct acpi_rsdp);
	size_t facs = place(&used, sizeof(struct acpi_facs), 64, cap); /* 64-byte aligned */
	size_t rsdt = place(&used, sizeof(struct acpi_header) + 2 * 4, 16, cap);
	size_t xsdt = place(&used, sizeof(struct acpi_header) + 2 * 8, 16, cap);
	size_t fadt_at = place(&used, sizeof(struct acpi_fadt), 16, cap);
	struct aml measure = {0};
	vacpi_dsdt(&measure);
	size_t dsdt_len = sizeof(struct acpi_header) + measure.len;
	size_t dsdt = place(&used, dsdt_len, 16, cap);
	size_t madt_at = place(&used, madt_len, 16, cap);
	if (!facs || !rsdt || !xsdt || !fadt_at || !dsdt || !madt_at || base_gpa + used > 4 * GiB)
		return 0; /* the RSDT and FADT hold 32-bit addresses */
	memset(buf, 0, used);
	u32 gpa = (u32)base_gpa; /* below 4 GiB: the 32-bit fields hold it too */

	struct acpi_facs *fs = (struct acpi_facs *)(buf + facs);
	memcpy(fs->sig, "FACS", 4);
	fs->length = sizeof(*fs);
	fs->version = 2;
	struct aml aml = {buf + dsdt + sizeof(struct acpi_header), 0, (u32)measure.len, false};
	vacpi_dsdt(&aml);
	header(buf + dsdt, "DSDT", dsdt_len, 2);
	fadt((struct acpi_fadt *)(buf + fadt_at), gpa + (u32)facs, gpa + (u32)dsdt);
	madt(buf + madt_at, ncpus);

	const u32 tables[2] = {gpa + (u32)fadt_at, gpa + (u32)madt_at};
	for (int i = 0; i < 2; i++) {
		u64 x = tables[i];
		memcpy(buf + rsdt + sizeof(struct acpi_header) + 4 * i, &tables[i], 4);
		memcpy(buf + xsdt + sizeof(struct acpi_header) + 8 * i, &x, 8);
	}
	header(buf + rsdt, "RSDT", sizeof(struct acpi_header) + 2 * 4, 1);
	header(buf + xsdt, "XSDT", sizeof(struct acpi_header) + 2 * 8, 1);

	struct acpi_rsdp *r = (struct acpi_rsdp *)buf;
	memcpy(r->sig, "RSD PTR ", 8);
	memcpy(r->oem_id, OEM_ID, 6);
	r->revision = 2;
	r->rsdt = gpa + (u32)rsdt;
	r->length = sizeof(*r);
	r->xsdt = base_gpa + xsdt;
	r->checksum = checksum(r, 20);
	r->ext_checksum = checksum(r, sizeof(*r));
	return used;
}
