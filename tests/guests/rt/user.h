/* User mode for test guests: a GDT with CPL-3 segments and a TSS, and a way to run a few
 * instructions at CPL 3 and come back. Needs trap_init() first (it adds the INT 0x80 gate). */
#ifndef GUEST_USER_H
#define GUEST_USER_H

#include "rt.h"

#define USER_INT 0x80 /* the vector user code raises to return to CPL 0 */

/* Load the GDT and TSS, the INT 0x80 gate, and (64-bit) make the first GiB user-accessible. */
void user_init(void);
/* Run fn at CPL 3 on a stack of its own, interrupts off; fn must end with INT $0x80, and
 * user_run returns the RAX it had then. */
uintptr_t user_run(void (*fn)(void));

#endif
