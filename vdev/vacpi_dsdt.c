/* The DSDT's definition block (ACPI 6.5 5.2.11.1), in AML through vdev/aml.h:
 *
 *   Name (_S5, Package (4) {0, 0, 0, 0})   the S5 sleep type (7.4.2) OSPM writes to power off
 *   Scope (\_SB) {
 *     Device (PCI0) {                      the PCI host bridge of vdev/vpci.c (6.1, 6.2)
 *       Name (_HID, EisaId ("PNP0A03"))  Name (_UID, 0)  Name (_ADR, 0)  Name (_BBN, 0)
 *       Name (_CRS, ResourceTemplate () {...})   what the root decodes (6.2.2, 6.4)
 *       Name (_PRT, Package () {...})            INTx routing: slot, pin -> GSI (6.2.13)
 *     }
 *   }
 */
#include "vdev/aml.h"
#include "vdev/vacpi.h"
#include "vdev/vpci.h"
#include "vdev/vpm.h"

/* Resource descriptors (6.4.3.5): general flags producer, min and max fixed, positive decode;
 * the memory ranges read/write, the VGA hole cacheable, the BAR window not. */
#define RES_FIXED  0x0c
#define MEM_RW	   0x01
#define MEM_CACHED 0x02

/* A Word Address Space Descriptor (6.4.3.5.3): type 1 I/O (range flags 3: ISA and non-ISA)
 * or 2 bus numbers. */
static u8 *word_space(u8 *p, u8 type, u16 min, u16 max)
{
	u16 len = (u16)(max - min + 1);
	const u8 d[16] = {0x88, 13, 0,	     type,	     RES_FIXED, type == 1 ? 3 : 0,
			  0,	0,  (u8)min, (u8)(min >> 8), (u8)max,	(u8)(max >> 8),
			  0,	0,  (u8)len, (u8)(len >> 8)};
	for (int i = 0; i < 16; i++)
		*p++ = d[i];
	return p;
}

/* A DWord Address Space Descriptor (6.4.3.5.2) for memory [min, max]. */
static u8 *dword_mem(u8 *p, u8 flags, u32 min, u32 max)
{
	const u32 f[5] = {0, min, max, 0, max - min + 1}; /* granularity, min, max, offset, len */
	const u8 head[6] = {0x87, 23, 0, 0 /* memory */, RES_FIXED, flags};
	for (int i = 0; i < 6; i++)
		*p++ = head[i];
	for (int i = 0; i < 5; i++)
		for (int b = 0; b < 4; b++)
			*p++ = (u8)(f[i] >> (8 * b));
	return p;
}

/* _CRS of the root bridge: buses 0-255; the configuration ports it consumes (an I/O port
 * descriptor, 6.4.2.5: 16-bit decode, 0xcf8, 8 ports); the rest of I/O space, which it
 * forwards; the VGA hole and the BAR window, where vpci places BARs. */
static void crs(struct aml *a)
{
	u8 d[128], *p = word_space(d, 2, 0, 255);
	const u8 io[8] = {0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08};
	for (int i = 0; i < 8; i++)
		*p++ = io[i];
	p = word_space(p, 1, 0x0000, 0x0cf7);
	p = word_space(p, 1, 0x0d00, 0xffff);
	p = dword_mem(p, MEM_RW | MEM_CACHED, 0xa0000, 0xbffff);
	p = dword_mem(p, MEM_RW, (u32)VPCI_MEM_BASE, (u32)(VPCI_MEM_END - 1));
	*p++ = 0x79; /* End Tag (6.4.2.9), checksum 0: treated as correct */
	*p++ = 0;
	aml_name(a, "_CRS");
	aml_buffer(a, d, (u32)(p - d));
}

/* _PRT: for each slot 1-31 and pin INTA-INTD, Package {address (slot in the high word, any
 * function), pin, source 0 (a GSI: 6.2.13), GSI}. Pins rotate over GSIs 16-23. */
static void prt(struct aml *a)
{
	aml_name(a, "_PRT");
	u32 pkg = aml_package(a, (VPCI_SLOTS - 1) * 4);
	for (u32 s = 1; s < VPCI_SLOTS; s++)
		for (u32 pin = 0; pin < 4; pin++) {
			u32 e = aml_package(a, 4);
			aml_int(a, s << 16 | 0xffff);
			aml_int(a, pin);
			aml_int(a, 0);
			aml_int(a, 16 + (vpci_slot_gsi(s) - 16 + pin) % 8);
			aml_close(a, e);
		}
	aml_close(a, pkg);
}

void vacpi_dsdt(struct aml *a)
{
	aml_name(a, "_S5");
	u32 s5 = aml_package(a, 4);
	for (int i = 0; i < 4; i++) /* SLP_TYPa, SLP_TYPb (vdev/vpm.c), reserved, reserved */
		aml_int(a, i < 2 ? VPM_S5_TYP : 0);
	aml_close(a, s5);
	u32 sb = aml_scope(a, "\\_SB");
	u32 dev = aml_device(a, "PCI0");
	aml_name(a, "_HID");
	aml_int(a, aml_eisaid("PNP0A03"));
	const char *zero[] = {"_UID", "_ADR", "_BBN"};
	for (int i = 0; i < 3; i++) {
		aml_name(a, zero[i]);
		aml_int(a, 0);
	}
	crs(a);
	prt(a);
	aml_close(a, dev);
	aml_close(a, sb);
}
