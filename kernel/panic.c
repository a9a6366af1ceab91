/* The end of keel's run. In an emulator keel reports its status through a debug device (QEMU's
 * isa-debug-exit at port 0xf4, Bochs' shutdown port 0x8900); on hardware it powers off through
 * ACPI. The last log line always carries the status, so the serial log alone tells the result. */
#include "kernel/panic.h"
#include "drivers/acpi.h"
#include "drivers/uart.h"
#include "kernel/cmdline.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

static bool qemu_fw_cfg(void)
{
	outw(0x510, 0x0000); /* fw_cfg selector: signature */
	char sig[4];
	for (int i = 0; i < 4; i++)
		sig[i] = (char)inb(0x511);
	return !memcmp(sig, "QEMU", 4);
}

static void shutdown_qemu(int status)
{
	outl(0xf4, (u32)status); /* isa-debug-exit: QEMU ends with (status << 1) | 1 */
}

static void shutdown_bochs(void)
{
	const char *s = "Shutdown";
	while (*s)
		outb(0x8900, (u8)*s++);
}

static __noreturn void platform_shutdown(int status)
{
	enum shutdown_method m = keel_cfg.shutdown;
	if (m == SHUTDOWN_AUTO) {
		if (qemu_fw_cfg())
			m = SHUTDOWN_QEMU;
		else if (!memcmp(acpi.oem, "BOCHS ", 6))
			m = SHUTDOWN_BOCHS;
		else
			m = SHUTDOWN_ACPI;
	}
	switch (m) {
	case SHUTDOWN_QEMU:
		shutdown_qemu(status);
		acpi_power_off(); /* QEMU without the debug device */
		break;
	case SHUTDOWN_BOCHS: shutdown_bochs(); break;
	case SHUTDOWN_ACPI:
	case SHUTDOWN_AUTO: acpi_power_off(); break;
	case SHUTDOWN_RESET: acpi_reset(); break;
	case SHUTDOWN_HALT: break;
	}
	log_info("keel: halted");
	uart_drain();
	for (;;) {
		cli();
		hlt();
	}
}

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
	uart_drain();
	platform_shutdown(status);
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
