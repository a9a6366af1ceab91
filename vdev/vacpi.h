/* The ACPI tables a guest finds (vacpi.c): RSDP, RSDT, XSDT, FADT, FACS, DSDT and MADT,
 * describing keel's virtual PC (vdev/vdevs.c). Pure: it writes bytes into a buffer that keel
 * copies to guest-physical memory. Layouts from the ACPI 6.5 specification, chapter 5. */
#ifndef KEEL_VACPI_H
#define KEEL_VACPI_H

#include "lib/types.h"

struct vacpi_config {
	u32 ncpus; /* vCPUs 0..ncpus-1: ACPI processor id = APIC id = index; I/O APIC id ncpus */
};

/* Write the tables for a VM described by cfg into buf, which the guest will see at base_gpa
 * (16-byte aligned; keel uses 0xe0000 so the RSDP is found by the legacy scan of
 * 0xe0000-0xfffff, and is at base_gpa itself). Returns the bytes used, or 0 if they do not
 * fit in cap or cfg is unusable (no vCPU, or more than 254). */
size_t vacpi_build(u8 *buf, size_t cap, u64 base_gpa, const struct vacpi_config *cfg);

struct aml;
/* The DSDT's AML (vacpi_dsdt.c): the S5 sleep type and the PCI root bridge with its resources
 * and interrupt routing. */
void vacpi_dsdt(struct aml *a);

/* ---- table layouts (ACPI 6.5 section given on each) ---- */

struct acpi_rsdp {	 /* 5.2.5.3 */
	char sig[8];	 /* 0x00 "RSD PTR " */
	u8 checksum;	 /* 0x08 over the first 20 bytes */
	char oem_id[6];	 /* 0x09 */
	u8 revision;	 /* 0x0f 2: ACPI 2.0 and later */
	u32 rsdt;	 /* 0x10 */
	u32 length;	 /* 0x14 36 */
	u64 xsdt;	 /* 0x18 */
	u8 ext_checksum; /* 0x20 over all 36 bytes */
	u8 reserved[3];	 /* 0x21 */
} __packed;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");

struct acpi_header {	      /* 5.2.6 */
	char sig[4];	      /* 0x00 */
	u32 length;	      /* 0x04 the whole table */
	u8 revision;	      /* 0x08 */
	u8 checksum;	      /* 0x09 the whole table sums to 0 */
	char oem_id[6];	      /* 0x0a */
	char oem_table_id[8]; /* 0x10 */
	u32 oem_revision;     /* 0x18 */
	char creator_id[4];   /* 0x1c */
	u32 creator_revision; /* 0x20 */
} __packed;
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header");

struct acpi_gas {	/* 5.2.3.2 generic address structure */
	u8 space;	/* 0x00 1: system I/O */
	u8 bit_width;	/* 0x01 */
	u8 bit_offset;	/* 0x02 */
	u8 access_size; /* 0x03 1 byte, 2 word, 3 dword */
	u64 address;	/* 0x04 */
} __packed;
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");

struct acpi_fadt {		      /* 5.2.9, revision 4 layout (244 bytes) */
	struct acpi_header h;	      /* 0x00 "FACP" */
	u32 firmware_ctrl;	      /* 0x24 FACS */
	u32 dsdt;		      /* 0x28 */
	u8 reserved0;		      /* 0x2c */
	u8 pm_profile;		      /* 0x2d */
	u16 sci_int;		      /* 0x2e */
	u32 smi_cmd;		      /* 0x30 0: no SMI, ACPI mode only */
	u8 acpi_enable, acpi_disable; /* 0x34 */
	u8 s4bios_req, pstate_cnt;    /* 0x36 */
	u32 pm1a_evt, pm1b_evt;	      /* 0x38 */
	u32 pm1a_cnt, pm1b_cnt;	      /* 0x40 */
	u32 pm2_cnt, pm_tmr;	      /* 0x48 */
	u32 gpe0, gpe1;		      /* 0x50 */
	u8 pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len; /* 0x58 */
	u8 gpe0_len, gpe1_len, gpe1_base, cst_cnt;	      /* 0x5c */
	u16 p_lvl2_lat, p_lvl3_lat;			      /* 0x60 */
	u16 flush_size, flush_stride;			      /* 0x64 */
	u8 duty_offset, duty_width;			      /* 0x68 */
	u8 day_alrm, mon_alrm, century;			      /* 0x6a CMOS indices */
	u16 iapc_boot_arch;				      /* 0x6d */
	u8 reserved1;					      /* 0x6f */
	u32 flags;					      /* 0x70 */
	struct acpi_gas reset_reg;			      /* 0x74 */
	u8 reset_value;					      /* 0x80 */
	u8 reserved2[3];				      /* 0x81 */
	u64 x_firmware_ctrl, x_dsdt;			      /* 0x84 */
	struct acpi_gas x_pm1a_evt, x_pm1b_evt;		      /* 0x94 */
	struct acpi_gas x_pm1a_cnt, x_pm1b_cnt;		      /* 0xac */
	struct acpi_gas x_pm2_cnt, x_pm_tmr;		      /* 0xc4 */
	struct acpi_gas x_gpe0, x_gpe1;			      /* 0xdc */
} __packed;
_Static_assert(sizeof(struct acpi_fadt) == 244, "FADT");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 0x6d, "FADT boot arch");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 0x74, "FADT reset register");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 0x8c, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr) == 0xd0, "FADT X_PM_TMR_BLK");

struct acpi_facs {	     /* 5.2.10 */
	char sig[4];	     /* 0x00 "FACS" */
	u32 length;	     /* 0x04 64 */
	u32 hw_signature;    /* 0x08 */
	u32 waking_vector;   /* 0x0c */
	u32 global_lock;     /* 0x10 */
	u32 flags;	     /* 0x14 */
	u64 x_waking_vector; /* 0x18 */
	u8 version;	     /* 0x20 2 */
	u8 reserved[3];	     /* 0x21 */
	u32 ospm_flags;	     /* 0x24 */
	u8 reserved2[24];    /* 0x28 */
} __packed;
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");

struct acpi_madt {	      /* 5.2.12 */
	struct acpi_header h; /* 0x00 "APIC" */
	u32 lapic_addr;	      /* 0x24 */
	u32 flags;	      /* 0x28 bit 0: PCAT_COMPAT (8259s present) */
} __packed;
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT");

enum { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_NMI = 4 };

struct madt_lapic { /* 5.2.12.2 */
	u8 type, length, acpi_id, apic_id;
	u32 flags; /* bit 0: enabled */
} __packed;
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT LAPIC");

struct madt_ioapic { /* 5.2.12.3 */
	u8 type, length, id, reserved;
	u32 address, gsi_base;
} __packed;
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT IOAPIC");

struct madt_iso { /* 5.2.12.5 interrupt source override */
	u8 type, length, bus, source;
	u32 gsi;
	u16 flags; /* MPS INTI flags: bits 1:0 polarity (1 high), 3:2 trigger (1 edge, 3 level) */
} __packed;
_Static_assert(sizeof(struct madt_iso) == 10, "MADT ISO");

struct madt_lapic_nmi {		  /* 5.2.12.7 */
	u8 type, length, acpi_id; /* 0xff: every processor */
	u16 flags;
	u8 lint;
} __packed;
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT LAPIC NMI");

#endif
