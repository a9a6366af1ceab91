/* keel's start-up order. Each step needs only the ones above it. */
#include "drivers/acpi.h"
#include "drivers/cpufeat.h"
#include "drivers/hpci.h"
#include "drivers/lapic.h"
#include "drivers/rtc.h"
#include "drivers/timer.h"
#include "drivers/uart.h"
#include "kernel/bootinfo.h"
#include "kernel/cmdline.h"
#include "vm/console.h"
#include "vm/cpustate.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/shutdown.h"
#include "kernel/percpu.h"
#include "vm/lifecycle.h"
#include "vm/sched.h"
#include "vm/uplink.h"
#include "kernel/selftest.h"
#include "kernel/smp.h"
#include "vm/virt.h"
#include "loader/vmconfig.h"
#include "mgmt/snapshot.h"
#include "mgmt/mgmt.h"
#include "mgmt/miglink.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "mm/mm.h"

#include "kernel/version.h"

static struct boot_info boot_info;

extern u8 boot_stack_guard[];
/* Static IST stacks for the boot CPU, each above an unmapped guard page (see mm_init). */
__attribute__((section(".bss.pagealigned"))) static u8 bsp_ist_stacks[2][2][4096] __aligned(4096);

static void console_write(const char *s, size_t n)
{
	uart_write(s, n);
}

static void console_init(void)
{
	if (!keel_cfg.console_port)
		return;
	if (uart_init(keel_cfg.console_port, keel_cfg.console_baud)) {
		log_attach_console(console_write);
		return;
	}
	log_warn("console: no UART at %#x; running without a console (log kept in memory)",
		 keel_cfg.console_port);
}

/* Pick the backend this CPU supports and enable it; ends the run if there is none. */
static void virt_init(void)
{
	const char *why;
	switch (cpufeat_virt(&why)) {
	case VIRT_SVM: virt = &svm_ops; break;
	case VIRT_VMX: virt = &vmx_ops; break;
	case VIRT_NONE: log_err("keel: cannot run guests: %s", why); keel_shutdown(KEEL_NO_VIRT);
	}
	if (!virt->cpu_enable(this_cpu())) {
		log_err("keel: could not enable %s on CPU 0", virt->name);
		keel_shutdown(KEEL_NO_VIRT);
	}
	smp_enable_virt();
	u32 n = 0;
	for (u32 i = 0; i < ncpus; i++)
		n += cpus[i].online;
	log_info("virt: %s enabled on %u CPU%s", virt->name, n, n == 1 ? "" : "s");
}

static void mask_pic(void)
{
	outb(0x21, 0xff); /* 8259 master: mask every line; keel uses the LAPIC only */
	outb(0xa1, 0xff); /* 8259 slave */
}

void kernel_main(u32 magic, u64 info);
void kernel_main(u32 magic, u64 info)
{
	tsc_boot = rdtsc();
	percpu_init(0);
	idt_init();
	gdt_init(&cpus[0], (u64)(uintptr_t)&bsp_ist_stacks[0][1][4096],
		 (u64)(uintptr_t)&bsp_ist_stacks[1][1][4096]);
	mask_pic();
	cpu_setup();

	bootinfo_parse(magic, info, &boot_info);
	config_defaults(&keel_cfg);
	keel_stop_machine = platform_shutdown;
	cmdline_parse(boot_info.cmdline, &keel_cfg);
	log_set_level(keel_cfg.loglevel);
	console_init();

	log_msg(LOG_ALWAYS, "keel %s: a minimal hypervisor for x86-64", KEEL_VERSION);
	log_info("boot: %s via %s, command line \"%s\"",
		 boot_info.proto == 2	? "multiboot2"
		 : boot_info.proto == 1 ? "multiboot"
					: "unknown loader",
		 boot_info.loader[0] ? boot_info.loader : "an unnamed loader", boot_info.cmdline);
	if (boot_info.efi_boot_services)
		log_warn("boot: the loader left EFI boot services running; keel ignores them");

	cpufeat_detect();
	acpi_init(&boot_info);

	u64 extra[2 * ACPI_MAX_TABLES];
	for (int i = 0; i < acpi.ntables; i++) {
		extra[2 * i] = acpi.tables[i].start;
		extra[2 * i + 1] = acpi.tables[i].end;
	}
	if (!mm_init(&boot_info, extra, acpi.ntables))
		keel_shutdown(KEEL_NO_MEMORY);
	mm_guard_page((u64)(uintptr_t)boot_stack_guard);
	mm_guard_page((u64)(uintptr_t)bsp_ist_stacks[0][0]);
	mm_guard_page((u64)(uintptr_t)bsp_ist_stacks[1][0]);

	tsc_init();
	rtc_init();
	lapic_init();
	lapic_calibrate();
	cpufeat_report();
	cpustate_report();
	hpci_init();

	log_info("boot: %d module%s", boot_info.nmods, boot_info.nmods == 1 ? "" : "s");
	for (int i = 0; i < boot_info.nmods; i++)
		log_info("boot: module %d at %#llx, %llu bytes: \"%s\"", i, boot_info.mods[i].start,
			 (boot_info.mods[i].end - boot_info.mods[i].start), boot_info.mods[i].str);

	smp_start();
	log_info("keel: ready, %u CPU%s, %llu KiB free", ncpus, ncpus == 1 ? "" : "s",
		 (mm_free_pages() * 4));
	selftest_run();
	if (!boot_info.nmods && !keel_cfg.incoming) {
		log_info("keel: nothing to run");
		keel_shutdown(KEEL_OK);
	}
	virt_init();
	vm_lifecycle_init(); /* before any CPU schedules */
	if (!(vms_from_modules(&boot_info) + snap_import_boot())) {
		if (!keel_cfg.incoming) {
			log_err("keel: no VM could be started");
			keel_shutdown(KEEL_VM_FAILED);
		}
		log_info("keel: no VM yet; waiting for incoming migrations (incoming=yes)");
	}
	uplink_start(keel_cfg.uplink, keel_cfg.host);
	miglink_start(keel_cfg.host, keel_cfg.migrate_keylen ? keel_cfg.migrate_key : NULL,
		      keel_cfg.migrate_keylen, keel_cfg.incoming);
	mgmt_start(keel_cfg.api_port, keel_cfg.console_baud, keel_cfg.api_xon);
	console_start();
	smp_go();
	sched_run();
}
