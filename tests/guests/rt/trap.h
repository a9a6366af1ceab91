/* Exceptions in test guests: an IDT whose vectors 0-31 share one handler that resumes a faulting
 * instruction listed in the exception table (section "extable") at its fixup, recording the
 * vector, as Linux's extable does. Any other exception is reported and ends the guest. */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include "rt.h"

#define TRAP_NONE 0xffu /* trap_vector when nothing was raised */

/* What the last caught exception was. */
extern volatile u32 trap_vector;
extern volatile uintptr_t trap_error;

/* The handler's view of the stack: what the stub pushed, then what the CPU pushed. */
struct trap_frame {
	uintptr_t vector, error, ip, cs, flags;
};

/* Load an IDT with gates for vectors 0-31, into the current code segment. */
void trap_init(void);
/* Point vector vec at fn, callable by INT from privilege level dpl and above. */
void trap_set_gate(unsigned vec, void (*fn)(void), unsigned dpl);

/* Run the one instruction insn (extended asm text) with its ": outputs : inputs" parts given
 * after it, e.g. TRAP_TRY("rdmsr", : "=a"(lo), "=d"(hi) : "c"(msr)); an exception it raises
 * resumes after it. Evaluates to the vector raised, or TRAP_NONE. */
#define TRAP_TRY(insn, ...)                                                         \
	({                                                                          \
		trap_vector = TRAP_NONE;                                            \
		__asm__ volatile("1: " insn "\n2:\n"                                \
				 ".pushsection extable, \"a\"\n"                    \
				 ".balign 4\n.long 1b, 2b\n.popsection" __VA_ARGS__ \
				 : "memory");                                       \
		trap_vector;                                                        \
	})

#endif
