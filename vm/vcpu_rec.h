/* A vCPU's whole state as one record (vdev/vrecord.h's format, kind VREC_VCPU), for snapshots,
 * clones, export and migration (README "Snapshot format"): the architectural state read
 * through the backend (virt_ops state_get/state_set) in a backend-neutral form, and what keel
 * keeps for the vCPU (extended state and XCR0, DR0-DR3, the guest's TSC, TSC_AUX, the KVM
 * clock's MSRs, MTRRs and SPEC_CTRL, its run state, pending and in-flight events). A record
 * saved on AMD-V loads on VT-x and back. */
#ifndef KEEL_VCPU_REC_H
#define KEEL_VCPU_REC_H

#include "vm/vm.h"

/* No vCPU record is larger. */
#define VCPU_REC_MAX 8192

/* v's state as a record at guest-clock time now (vclock_now): bytes written into buf (len
 * bytes), 0 if it does not fit. v is not running (its VM is paused). */
u64 vcpu_rec_save(struct vcpu *v, u64 now, void *buf, u64 len);
/* Load a record into v (its VM paused; a vCPU of a VM with the same CPUID answers): NULL, or
 * why it was refused (v unchanged). */
const char *vcpu_rec_load(struct vcpu *v, u64 now, const void *buf, u64 len);

/* The test mode vcpurec=roundtrip (or =N): each time (each N-th time) a vCPU takes a CPU,
 * before its state goes into the hardware, save its record, scramble its state and load the
 * record back; a record that does not come back whole stops the VM (README "vcpurec"). */
void vcpu_rec_test(struct vcpu *v);

#endif
