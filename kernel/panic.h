/* Ends of keel's run: the normal one and the broken-invariant one. */
#ifndef KEEL_PANIC_H
#define KEEL_PANIC_H

#include "lib/types.h"

/* Run statuses keel ends with (README "Run status"). */
enum {
	KEEL_OK = 0,	    /* every VM exited 0, or nothing to run */
	KEEL_VM_FAILED = 1, /* some VM stopped with a non-zero status or an error */
	KEEL_PANIC = 2,	    /* keel itself failed: a bug or broken hardware */
	KEEL_NO_VIRT = 3,   /* the CPU lacks VT-x+EPT and AMD-V+NPT */
	KEEL_NO_MEMORY = 4, /* no usable memory */
};

/* A broken keel invariant: log why, with a backtrace, and end the run with KEEL_PANIC. */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);
/* End the run with KEEL_PANIC after the caller has logged the report. */
__noreturn void panic_end_run(void);
/* Log the end-of-run line and stop the machine with `status`. */
__noreturn void keel_shutdown(int status);
/* How the machine stops (kernel/shutdown.c's platform_shutdown, set by kernel_main). */
extern void (*keel_stop_machine)(int status);

#define BUG_ON(c)                                                   \
	do {                                                        \
		if (unlikely(c))                                    \
			panic("%s:%d: %s", __FILE__, __LINE__, #c); \
	} while (0)

#endif
