/* Test doubles for the virtio transport's tests: guest RAM (mm/gmem.h's calls over a host
 * buffer), the host's entropy, the heap, and the PCI function calls of vdev/vpci.h, which
 * test_virtio and test_virtq reach through the linker's --wrap (Makefile) so that they record
 * what the transport asked of the bus whatever vpci.c does. */
#ifndef KEEL_TEST_FAKES_VIRTIO_H
#define KEEL_TEST_FAKES_VIRTIO_H

#include "tests/unit/fakes_vdev.h"
#include "vdev/virtio_int.h"

/* Give vm ram bytes of zeroed RAM at guest-physical 0 (freed by the next call). */
void fake_ram(struct vm *vm, u64 ram);
/* A host pointer to guest-physical gpa of the fake RAM. */
void *fake_gpa(u64 gpa);

extern bool fake_entropy;     /* entropy_available() */
extern int fake_entropy_left; /* entropy_read() calls that succeed; -1: all */
extern u64 fake_entropy_next; /* the next value entropy_read gives (then + 1) */

extern bool fake_msix_on;      /* pci_msix_enabled() */
extern u16 fake_msix_sent[64]; /* pci_msix_send vectors, in order */
extern int fake_nmsix;
extern int fake_nslots; /* vpci_add calls */

#endif
