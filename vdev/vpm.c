/* ACPI PM1a event and control registers and the PM timer (ACPI 6.5, 4.8.3: fixed hardware
 * registers). The machine has no SMI and no legacy mode: SCI_EN is always on. Writing SLP_EN
 * with the \_S5 sleep type powers the VM off; the DSDT offers no other sleep state, and other
 * types are ignored. The timer is 32 bits wide (FADT TMR_VAL_EXT) and counts the guest clock.
 * The one fixed event raised is the power button (4.8.2.2.1, the FADT says it is a fixed
 * feature): vpm_power_button sets PWRBTN_STS, and the SCI (GSI 9, level: status AND enable)
 * asserts while the guest has PWRBTN_EN set, until it writes the status bit back to clear it.
 * No timer-carry interrupt. */
#include "vdev/vpm.h"
#include "vdev/vdev.h"

#define PM1_EN_MASK  0x0521 /* RTC, PWRBTN, GBL, TMR enables (4.8.3.1.2) */
#define CNT_SCI_EN   0x0001 /* 4.8.3.2.1 */
#define CNT_SLP_TYP  0x1c00 /* bits 12:10 */
#define CNT_SLP_EN   0x2000 /* write-only */
#define CNT_WRITABLE 0x1c06 /* SLP_TYP, GBL_RLS, BM_RLD */
#define SCI_GSI	     9
#define STS_PWRBTN   0x0100 /* PM1_STS.PWRBTN_STS and PM1_EN.PWRBTN_EN: bit 8 (4.8.3.1) */

/* The PM timer: 3.579545 MHz ticks since reset, 32 bits. */
static u32 timer(const struct vpm *p, u64 now)
{
	u64 t = vrec_since(now, p->base);
	return (u32)vdev_muldiv(t, VPM_TMR_HZ, vclock_khz() * 1000);
}

/* The SCI is a level: any status bit whose enable is set (4.8.3.1). */
static void update_sci(struct vm *vm, struct vpm *p)
{
	bool sci = (p->sts & p->en) != 0;
	if (sci != p->sci)
		vm_irq_set(vm, SCI_GSI, sci);
	p->sci = sci;
}

/* One byte of the status, enable, control or timer register. */
static u8 read_byte(const struct vpm *p, u64 port, u64 now)
{
	u64 off = port - VPM_BASE;
	u32 reg = off < 2 ? p->sts : off < 4 ? p->en : off < 6 ? p->cnt : 0;
	if (off >= 8)
		reg = timer(p, now);
	return (u8)(reg >> (8 * (off & (off >= 8 ? 3 : 1))));
}

/* A 16-bit register write, taking the bytes of this access that fall in it. */
static u16 merge(u16 old, u64 port, u8 size, u64 val, u64 reg)
{
	for (u8 i = 0; i < size; i++) {
		if (port + i < reg || port + i >= reg + 2)
			continue;
		u32 shift = 8 * (u32)(port + i - reg);
		old = (u16)((old & ~(0xffu << shift)) | ((val >> (8 * i)) & 0xff) << shift);
	}
	return old;
}

/* Does an access of size bytes at port cover part of the 16-bit register at reg? */
static bool touches(u64 port, u8 size, u64 reg)
{
	return port < reg + 2 && reg < port + size;
}

/* Any width, a byte at a time. */
static u64 vpm_read(struct vcpu *v, void *dev, u64 port, u8 size)
{
	u64 val = 0, now = vclock_now();
	(void)v;
	for (u8 i = 0; i < size; i++)
		val |= (u64)(port + i < VPM_BASE + VPM_LEN ? read_byte(dev, port + i, now) : 0xff)
		       << (8 * i);
	return val;
}

/* Status (write 1 to clear), enable, or control (SLP_EN with the S5 type: power off). */
static void vpm_write(struct vcpu *v, void *dev, u64 port, u8 size, u64 val)
{
	struct vpm *p = dev;
	if (touches(port, size, VPM_EVT)) /* write 1 to clear */
		p->sts &= (u16)~merge(0, port, size, val, VPM_EVT);
	if (touches(port, size, VPM_EVT + 2))
		p->en = merge(p->en, port, size, val, VPM_EVT + 2) & PM1_EN_MASK;
	if (touches(port, size, VPM_CNT)) {
		u16 cnt = merge(p->cnt, port, size, val, VPM_CNT);
		p->cnt = (u16)((cnt & CNT_WRITABLE) | CNT_SCI_EN);
		if ((cnt & CNT_SLP_EN) && ((cnt & CNT_SLP_TYP) >> 10) == VPM_S5_TYP)
			vm_request_poweroff(v->vm);
	}
	update_sci(v->vm, p);
}

/* The power button was pressed (system_powerdown): its status bit is set whatever the
 * enable says (4.8.2.2.1); the SCI follows the enable. False if vm has no PM device. */
bool vpm_power_button(struct vm *vm)
{
	struct vpm *p = vm_device(vm, &vpm_ops);
	if (!p)
		return false;
	dev_lock(vm);
	p->sts |= STS_PWRBTN;
	update_sci(vm, p);
	dev_unlock(vm);
	return true;
}

/* SCI_EN on, nothing enabled, the timer at 0 now. */
void vpm_reset(struct vpm *p, u64 now)
{
	*p = (struct vpm){.cnt = CNT_SCI_EN, .base = now};
}

/* ---- state records (vdev/vrecord.h): kind VREC_PM, version 1 ---- */

struct pm_rec {
	u16 sts, en, cnt; /* 0x00 */
	u8 sci;		  /* 0x06 the level driven on GSI 9 */
	u8 zero;	  /* 0x07 */
	s64 base;	  /* 0x08 guest clock of the timer's 0, from the saver's now */
};
_Static_assert(sizeof(struct pm_rec) == 16, "PM record");

/* Fill the payload above from the device and write it out behind its header. */
u64 vpm_save(const void *dev, u64 now, void *buf, u64 len)
{
	const struct vpm *p = dev;
	struct pm_rec rec = {p->sts, p->en, p->cnt, p->sci, 0, vrec_rel(p->base, now)};
	return vrec_write(buf, len, VREC_PM, 1, &rec, sizeof(rec));
}

/* Check the header and every field first; replace the device only if all pass. */
const char *vpm_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len)
{
	struct pm_rec rec;
	struct vrec_reader r;
	(void)vm;
	if (!vrec_open(&r, buf, len, VREC_PM, 1, &rec, sizeof(rec), now))
		return r.why;
	/* Status bits sit where their enables do; only the events keel can raise exist. */
	vrec_require(&r, !(rec.sts & ~PM1_EN_MASK) && !(rec.en & ~PM1_EN_MASK),
		     "PM1 status or enable out of range");
	vrec_require(&r, (rec.cnt & ~CNT_WRITABLE) == CNT_SCI_EN, "PM1 control out of range");
	vrec_require(&r, rec.sci == ((rec.sts & rec.en) != 0) && !rec.zero, "PM SCI out of step");
	struct vpm p = {rec.sts, rec.en, rec.cnt, vrec_time(&r, rec.base), rec.sci};
	if (r.why)
		return r.why;
	*(struct vpm *)dev = p;
	return NULL;
}

/* Its ports on the buses. */
static bool vpm_attach(struct vm *vm, void *dev)
{
	return bus_add(&vm->io, VPM_BASE, VPM_LEN, &vpm_ops, dev);
}

/* Power-on state. */
static void vpm_reset_op(struct vm *vm, void *dev)
{
	(void)vm;
	vpm_reset(dev, vclock_now());
}

const struct vdev_ops vpm_ops = {
	.name = "acpi-pm",
	.size = sizeof(struct vpm),
	.read = vpm_read,
	.write = vpm_write,
	.attach = vpm_attach,
	.reset = vpm_reset_op,
	.save = vpm_save,
	.load = vpm_load,
};
