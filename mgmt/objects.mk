# mgmt/: management: the one table of commands (cmds.c) and what they share (cmd.c), the
# commands by subject, snapshots and their files, the JSON API on COM2 and keel's prompt on
# COM1 as its two front ends.
KOBJS += mgmt/cmd.o mgmt/cmds.o mgmt/cmd_query.o mgmt/cmd_vm.o mgmt/cmd_snap.o mgmt/snapshot.o mgmt/snapfile.o mgmt/cmd_snapio.o mgmt/api.o mgmt/prompt.o mgmt/miglink.o mgmt/miglink_wire.o mgmt/miglink_test.o
UNIT_SRCS += mgmt/snapfile.c mgmt/miglink_wire.c
# Live migration (issue 17): the engine, its commands; the transport's stand-in until
# mgmt/miglink.c is in the tree.
KOBJS += mgmt/migrate.o mgmt/migrate_in.o mgmt/cmd_migrate.o
KOBJS += $(if $(wildcard mgmt/miglink.c),,mgmt/miglink_none.o)
