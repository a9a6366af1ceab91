/* Each command's function, in the file that owns it (README "Management API"). The table is
 * mgmt/cmds.c. */
#ifndef KEEL_CMDS_H
#define KEEL_CMDS_H

#include "mgmt/cmd.h"

/* mgmt/cmd_query.c: the machine as it is, and the prompt's own commands */
bool cmd_help(struct cmd_ctx *c);
bool cmd_query_vms(struct cmd_ctx *c);
bool cmd_vcpus(struct cmd_ctx *c);
bool cmd_console(struct cmd_ctx *c);
bool cmd_nmi(struct cmd_ctx *c);

/* mgmt/cmd_vm.c: a VM's life and its share of the CPUs */
bool cmd_query_stats(struct cmd_ctx *c);
bool cmd_stop(struct cmd_ctx *c);
bool cmd_cont(struct cmd_ctx *c);
bool cmd_system_reset(struct cmd_ctx *c);
bool cmd_system_powerdown(struct cmd_ctx *c);
bool cmd_vm_destroy(struct cmd_ctx *c);
bool cmd_vm_start(struct cmd_ctx *c);
bool cmd_vm_set(struct cmd_ctx *c); /* weight=, cap=, pin= */

/* mgmt/cmd_snap.c: snapshots, rollback, clones, export and import */
bool cmd_snapshot_save(struct cmd_ctx *c);
bool cmd_snapshot_load(struct cmd_ctx *c);
bool cmd_snapshot_delete(struct cmd_ctx *c);
bool cmd_query_snapshots(struct cmd_ctx *c);
bool cmd_vm_clone(struct cmd_ctx *c);
bool cmd_snapshot_export(struct cmd_ctx *c);
bool cmd_vm_import(struct cmd_ctx *c);
bool cmd_miglink_test(struct cmd_ctx *c); /* mgmt/miglink_test.c: a test/diagnostic command */

/* mgmt/cmd_migrate.c: live migration */
bool cmd_migrate(struct cmd_ctx *c);
bool cmd_query_migrate(struct cmd_ctx *c);

#endif
