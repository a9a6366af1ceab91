/* How keel's run ends on this machine (shutdown= on keel's command line). In an emulator keel
 * reports its status through a debug device (QEMU's isa-debug-exit at port 0xf4, Bochs'
 * shutdown port 0x8900); on hardware it powers off through ACPI. Part of the start-up room:
 * kernel_main hands it to the log's end of run (keel_stop_machine). */
#include "kernel/shutdown.h"
#include "drivers/acpi.h"
#include "drivers/uart.h"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/x86.h"
#include "lib/string.h"

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

__noreturn void platform_shutdown(int status)
{
	uart_drain(); /* the end-of-run line first: QEMU's debug exit ends it at once */
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
