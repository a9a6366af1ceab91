/* The guest's mode, from keel (guest memory through its page tables: exit/access.h). */
#ifndef KEEL_GUEST_H
#define KEEL_GUEST_H

#include "exit/decode.h"
#include "vm/vm.h"

/* The vCPU's code size (real, 16-, 32- or 64-bit). */
enum cpu_mode vcpu_mode(struct vcpu *v);
#endif
