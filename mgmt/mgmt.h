/* keel's management front ends (README "Management API"): the JSON API on COM2 (mgmt/api.c)
 * and keel's prompt on COM1 (mgmt/prompt.c), both running the commands of mgmt/cmds.c. */
#ifndef KEEL_MGMT_H
#define KEEL_MGMT_H

#include "mgmt/cmd.h"

/* Once the VMs exist, before any CPU schedules: open the API's UART at port (0: no API),
 * register the prompt, the API's poll and the VM event sink; xon: write XON for each batch of
 * bytes taken in (api_flow=xon); and gdb's stub at gdb_port (0: none, gdb=off). */
void mgmt_start(u16 port, u32 baud, bool xon, u16 gdb_port);
/* gdb's stub (mgmt/gdb.c): serve gdb on the UART at port (0: none); gdb_poll runs it from
 * CPU 0's console poll. */
void gdb_start(u16 port, u32 baud);
void gdb_poll(void);
/* keel's prompt: one line typed on COM1 (vm/console.c's hook). */
void prompt_line(char *s);

#endif
