/* selftest=: deliberate faults that show keel's protections hold and its exception report
 * works on this machine. Each one must end the run with status 2 and a full report. */
#include "kernel/selftest.h"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/panic.h"

extern u8 __image_start[], __data_end[];

/* Recurse until the stack runs into its guard page: a page fault that cannot push its frame
 * becomes a double fault, which runs on its own IST stack. Infinite on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static u64 recurse(volatile u64 *depth)
{
	volatile u8 pad[512];
	pad[0] = (u8)*depth;
	++*depth;
	return recurse(depth) + pad[0];
}
#pragma GCC diagnostic pop

void selftest_run(void)
{
	static u8 data_code[16] = {0xc3}; /* ret, in a no-execute data page */
	volatile u64 depth = 0;
	switch (keel_cfg.selftest) {
	case SELFTEST_NONE: return;
	case SELFTEST_NULL:
		log_info("selftest: reading address 0 (unmapped page 0)");
		log_info("selftest: read %#x", *(volatile u8 *)(uintptr_t)depth);
		break;
	case SELFTEST_STACK:
		log_info("selftest: overflowing the stack into its guard page");
		recurse(&depth);
		break;
	case SELFTEST_WRITE_TEXT:
		log_info("selftest: writing keel's read-only text at %p", (void *)__image_start);
		*(volatile u8 *)__image_start = 0;
		break;
	case SELFTEST_EXEC_DATA:
		log_info("selftest: calling code in no-execute data at %p", (void *)data_code);
		((void (*)(void))(uintptr_t)data_code)();
		break;
	case SELFTEST_PANIC: panic("selftest: panic on request");
	}
	log_err("selftest: the fault did not happen: keel's protections are not in force");
	keel_shutdown(KEEL_PANIC);
}
