/* Test doubles for vdev/; see fakes_vdev.h. */
#include "tests/unit/fakes_vdev.h"
#include "vdev/vioapic.h"
#include "vdev/vlapic.h"
#include "vdev/vpic.h"
#include "vdev/vdevs.h"
#include "vdev/vrecord.h"

#include <string.h>

u64 fake_now = 1000000, fake_khz = 3000000;
s64 fake_unix = 1767225600; /* 2026-01-01 00:00:00 UTC */
int fake_lock_depth;
bool fake_route_irqs;
bool fake_irq_level[24];
int fake_irq_rises[24];
int fake_resets, fake_poweroffs, fake_nmis, fake_notifies;
struct fake_delivery fake_deliveries[64];
int fake_ndeliveries;

static struct vm the_vm;
static struct vcpu the_vcpus[VM_MAX_VCPUS];
/* The local APIC's ops where a test does not link the real vlapic.c: the I/O APIC finds the
 * APICs it delivers to by them. */
__attribute__((weak)) const struct vdev_ops vlapic_ops = {.name = "fake lapic"};
static struct vm_devices the_devs;
struct fake_devs fake_dev;

u64 vclock_now(void)
{
	return fake_now;
}

u64 vclock_khz(void)
{
	return fake_khz;
}

s64 vclock_unix(void)
{
	return fake_unix;
}

void dev_lock(struct vm *vm)
{
	(void)vm;
	assert_int_equal(fake_lock_depth, 0); /* the device lock does not nest */
	fake_lock_depth++;
}

void dev_unlock(struct vm *vm)
{
	(void)vm;
	assert_int_equal(fake_lock_depth, 1);
	fake_lock_depth--;
}

void vm_irq_set(struct vm *vm, u32 gsi, bool level)
{
	assert_int_equal(fake_lock_depth, 1); /* injection runs under the device lock */
	assert_true(gsi < 24);
	if (level && !fake_irq_level[gsi])
		fake_irq_rises[gsi]++;
	fake_irq_level[gsi] = level;
	if (!fake_route_irqs)
		return;
	if (gsi < 16)
		vpic_line(vm, gsi, level);
	vioapic_line(vm, gsi == 0 ? 2 : gsi, level);
}

void vcpu_irq_notify(struct vcpu *v)
{
	(void)v;
	fake_notifies++;
}

void vcpu_nmi(struct vcpu *v)
{
	(void)v;
	fake_nmis++;
}

/* Weak: test_vlapic links the real one. */
__attribute__((weak)) void vlapic_deliver(struct vcpu *v, u8 vector, bool level)
{
	if (fake_ndeliveries < 64)
		fake_deliveries[fake_ndeliveries++] = (struct fake_delivery){v->id, vector, level};
}

/* The backend's copy of CR8 (the local APIC keeps it in step with its TPR): not modelled. */
void vcpu_set(struct vcpu *v, enum vreg r, u64 val)
{
	(void)v, (void)r, (void)val;
}

int fake_inits, fake_sipis, fake_stops;
u64 fake_stop_status;

void vcpu_init_signal(struct vcpu *v)
{
	(void)v;
	fake_inits++;
}

void vcpu_sipi(struct vcpu *v, u8 vector)
{
	(void)v, (void)vector;
	fake_sipis++;
}

void vm_set_irq_controller(struct vm *vm, const struct virq_ops *ops)
{
	vm->irqc = ops;
}

void vm_stop(struct vm *vm, enum vm_end end, u64 status, const char *fmt, ...)
{
	(void)vm, (void)end, (void)fmt;
	fake_stops++;
	fake_stop_status = status;
}

void vm_request_reset(struct vm *vm)
{
	(void)vm;
	fake_resets++;
}

void vm_request_poweroff(struct vm *vm)
{
	(void)vm;
	fake_poweroffs++;
}

/* v's timer for (fire, dev): the one a device asked for, or a new one (the fake VM's devices
 * are reset without attaching, so they never asked). */
static struct vtimer *slot_of(struct vcpu *v, vtimer_fn *fire, void *dev)
{
	for (u32 i = 0; i < v->ntimers; i++)
		if (v->timers[i].fire == fire && v->timers[i].dev == dev)
			return &v->timers[i];
	assert_true(v->ntimers < VCPU_TIMERS_MAX);
	v->timers[v->ntimers] = (struct vtimer){0, fire, dev};
	return &v->timers[v->ntimers++];
}

int vcpu_timer_alloc(struct vcpu *v, vtimer_fn *fire, void *dev)
{
	return (int)(slot_of(v, fire, dev) - v->timers);
}

void vcpu_timer_set(struct vcpu *v, u64 deadline, vtimer_fn *fire, void *dev)
{
	slot_of(v, fire, dev)->deadline = deadline;
}

void vcpu_timer_by(struct vcpu *v, u64 deadline, vtimer_fn *fire, void *dev)
{
	u64 d = slot_of(v, fire, dev)->deadline;
	if (!d || d > deadline)
		vcpu_timer_set(v, deadline, fire, dev);
}

struct vm *fake_vm(u32 ncpus, u64 ram)
{
	struct vm *vm = &the_vm;
	memset(vm, 0, sizeof(*vm));
	memset(the_vcpus, 0, sizeof(the_vcpus));
	for (u32 i = 0; i < ncpus; i++) {
		the_vcpus[i].vm = vm;
		the_vcpus[i].id = i;
		vm->vcpu[i] = &the_vcpus[i];
	}
	vm->nvcpus = ncpus;
	vm->mem.size = ram;
	vm->mem.low_end = MIN(ram, GMEM_LOW_MAX);
	memset(&fake_dev, 0, sizeof(fake_dev));
	struct fake_devs *d = &fake_dev;
	the_devs = (struct vm_devices){
		10,
		{{&vlapic_ops, d->lapic},
		 {&vpic_ops, &d->pic},
		 {&vpit_ops, &d->pit},
		 {&vrtc_ops, &d->rtc},
		 {&vioapic_ops, &d->ioapic},
		 {&vpci_ops, &d->pci},
		 {&vkbd_ops, &d->kbd},
		 {&vpm_ops, &d->pm},
		 {&vuart_ops, &d->uart},
		 {&fwcfg_ops, &d->fwcfg}},
	};
	vm->dev = &the_devs;
	vpic_reset(&d->pic);
	vpit_reset(&d->pit, fake_now);
	vrtc_reset(&d->rtc, fake_now, vm->mem.low_end, ram - vm->mem.low_end);
	vioapic_reset(&d->ioapic);
	vpci_reset(&d->pci);
	vkbd_reset(&d->kbd);
	vpm_reset(&d->pm, fake_now);
	fake_lock_depth = 0;
	fake_route_irqs = false;
	memset(fake_irq_level, 0, sizeof(fake_irq_level));
	memset(fake_irq_rises, 0, sizeof(fake_irq_rises));
	fake_resets = fake_poweroffs = fake_nmis = fake_notifies = fake_ndeliveries = 0;
	fake_inits = fake_sipis = fake_stops = 0;
	return vm;
}

u64 fake_read(const struct vdev_ops *ops, void *dev, u64 addr, u8 size)
{
	dev_lock(&the_vm);
	u64 val = ops->read(&the_vcpus[0], dev, addr, size);
	dev_unlock(&the_vm);
	return val;
}

void fake_write(const struct vdev_ops *ops, void *dev, u64 addr, u8 size, u64 val)
{
	dev_lock(&the_vm);
	ops->write(&the_vcpus[0], dev, addr, size, val);
	dev_unlock(&the_vm);
}

/* The earliest armed timer of any vCPU at or before end, or NULL. */
static struct vtimer *next_due(u64 end, struct vcpu **on)
{
	struct vtimer *best = NULL;
	for (u32 i = 0; i < the_vm.nvcpus; i++)
		for (u32 s = 0; s < the_vcpus[i].ntimers; s++) {
			struct vtimer *t = &the_vcpus[i].timers[s];
			if (t->deadline && t->deadline <= end &&
			    (!best || t->deadline < best->deadline)) {
				best = t;
				*on = &the_vcpus[i];
			}
		}
	return best;
}

void fake_advance(u64 tsc)
{
	u64 end = fake_now + tsc;
	struct vcpu *v = NULL;
	for (struct vtimer *t; (t = next_due(end, &v));) {
		fake_now = MAX(fake_now, t->deadline);
		t->deadline = 0;
		t->fire(v, t->dev);
	}
	fake_now = end;
}

u64 fake_us(u64 us)
{
	return us * fake_khz / 1000;
}

void fake_note(struct fake_trace *t, u64 v)
{
	assert_true(t->n < (int)ARRAY_SIZE(t->v));
	t->v[t->n++] = v;
}

void fake_same(const struct fake_trace *a, const struct fake_trace *b)
{
	assert_int_equal(a->n, b->n);
	for (int i = 0; i < a->n; i++) {
		if (a->v[i] != b->v[i])
			print_error("traces differ at value %d\n", i);
		assert_int_equal(a->v[i], b->v[i]);
	}
}

struct vtimer *fake_timer(u32 cpu, const void *dev)
{
	static struct vtimer none;
	struct vcpu *v = &the_vcpus[cpu];
	for (u32 i = 0; i < v->ntimers; i++)
		if (v->timers[i].dev == dev)
			return &v->timers[i];
	none = (struct vtimer){0};
	return &none;
}

u64 fake_deadline(u32 cpu, const void *dev, u64 start)
{
	u64 d = fake_timer(cpu, dev)->deadline;
	return d ? d - start : 0;
}

/* One damaged copy of rec: refused, and dev unchanged. */
static void refused(fake_load_fn *load, void *dev, size_t size, const u8 *buf, u64 len)
{
	static u8 before[8192];
	assert_true(size <= sizeof(before));
	memcpy(before, dev, size);
	const char *why = load(&the_vm, dev, fake_now, buf, len);
	assert_non_null(why);
	assert_true(strlen(why) > 0);
	assert_memory_equal(before, dev, size);
}

void fake_refusals(fake_load_fn *load, void *dev, size_t size, const u8 *rec, u64 len, u64 bad_off,
		   u8 bad)
{
	static u8 copy[VREC_MAX + 1];
	assert_true(len + 1 <= sizeof(copy) && bad_off < len);
	const u64 offs[3] = {0, 4, 6}; /* magic, kind, version */
	for (int i = 0; i < 3; i++) {
		memcpy(copy, rec, len);
		copy[offs[i]] ^= 0x40;
		refused(load, dev, size, copy, len);
	}
	memcpy(copy, rec, len);
	refused(load, dev, size, copy, len - 1); /* truncated */
	refused(load, dev, size, copy, 3);	 /* not even a header */
	copy[len] = 0;
	refused(load, dev, size, copy, len + 1); /* a byte past the record */
	copy[8]++;				 /* the header's payload size */
	refused(load, dev, size, copy, len + 1);
	memcpy(copy, rec, len);
	copy[bad_off] = bad;
	refused(load, dev, size, copy, len);
}

u64 fake_save_load(fake_save_fn *save, fake_load_fn *load, void *dev, u8 *rec,
		   void (*watch)(struct fake_trace *t), void (*fresh)(struct vm *vm), u64 now2)
{
	static struct fake_trace a, b;
	static u8 again[VREC_MAX];
	bool lines[24];
	u32 ncpus = the_vm.nvcpus;
	u64 ram = the_vm.mem.size;
	u64 len = save(dev, fake_now, rec, VREC_MAX);
	assert_true(len >= 16);
	assert_int_equal(save(dev, fake_now, again, len - 1), 0); /* too small a buffer */
	memcpy(lines, fake_irq_level, sizeof(lines));
	a.n = b.n = 0;
	memset(fake_irq_rises, 0, sizeof(fake_irq_rises));
	fake_ndeliveries = fake_nmis = fake_resets = fake_poweroffs = 0;
	watch(&a);

	fake_now = now2;
	struct vm *vm = fake_vm(ncpus, ram);
	if (fresh)
		fresh(vm);
	memcpy(fake_irq_level, lines, sizeof(lines));
	dev_lock(vm);
	const char *why = load(vm, dev, fake_now, rec, len);
	dev_unlock(vm);
	if (why)
		print_error("refused: %s\n", why);
	assert_null(why);
	assert_int_equal(save(dev, fake_now, again, sizeof(again)), len);
	assert_memory_equal(rec, again, len);
	fake_ndeliveries = fake_nmis = fake_resets = fake_poweroffs = 0;
	watch(&b);
	fake_same(&a, &b);
	return len;
}
