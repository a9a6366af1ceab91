/* The end of keel's run: the last log line always carries the status, so the serial log alone
 * tells the result; then the machine stops as kernel/shutdown.c says. */
#include "kernel/panic.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

/* How the machine stops once the last line is out: set by kernel_main (kernel/shutdown.c), so
 * that this low layer needs no driver. Until then, a halt. */
static __noreturn void halt_forever(int status)
{
	(void)status;
	for (;;) {
		cli();
		hlt();
	}
}
void (*keel_stop_machine)(int status) = halt_forever;

__noreturn void keel_shutdown(int status)
{
	static volatile int exiting;
	if (__atomic_exchange_n(&exiting, 1, __ATOMIC_ACQ_REL)) {
		for (;;) { /* another CPU is already ending the run */
			cli();
			hlt();
		}
	}
	log_msg(LOG_ALWAYS, "keel: end of run, status %d", status);
	keel_stop_machine(status);
	halt_forever(status); /* it does not return; if it did, keel halts here */
}

__noreturn void panic_end_run(void)
{
	keel_shutdown(KEEL_PANIC);
}

__noreturn void panic(const char *fmt, ...)
{
	va_list ap;
	cli();
	log_break_lock();
	va_start(ap, fmt);
	char buf[256];
	fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_err("panic: %s", buf);
	backtrace((u64)(uintptr_t)__builtin_frame_address(0));
	panic_end_run();
}
