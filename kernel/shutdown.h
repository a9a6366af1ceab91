/* The machine's end of keel's run (kernel/shutdown.c). */
#ifndef KEEL_SHUTDOWN_H
#define KEEL_SHUTDOWN_H

/* Drain the console, then stop the machine as keel_cfg.shutdown says, reporting status to an
 * emulator's debug device. */
__attribute__((noreturn)) void platform_shutdown(int status);

#endif
