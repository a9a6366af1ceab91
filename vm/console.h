/* keel's serial console input: routed to one VM or keel's prompt (vm/console.c). */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H

#include "lib/types.h"

/* Once the VMs exist: take the UART's interrupt, and give the console to the first VM that
 * takes input. */
void console_start(void);
/* Read what was typed and deliver it (CPU 0, from the scheduler). */
void console_poll(void);
/* True when there is a console to read. */
bool console_active(void);
/* CPU 0 is idle: how many us until console_poll should run again (0: no need). */
u64 console_poll_again(void);

/* keel's prompt and the management API live above vm/ (mgmt/), so they register here: line()
 * gets each line typed at keel's prompt, poll() runs on CPU 0 with console_poll. */
void console_set_mgmt(void (*line)(char *s), void (*poll)(void));
/* keel's console input goes to vm (NULL: keel's prompt). CPU 0. */
struct vm;
void console_switch(struct vm *vm);

#endif
