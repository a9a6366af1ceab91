# mgmt/: management: the one table of commands (cmds.c) and what they share (cmd.c), the
# commands by subject, snapshots and their files, the JSON API on COM2 and keel's prompt on
# COM1 as its two front ends.
KOBJS += mgmt/cmd.o mgmt/cmds.o mgmt/cmd_query.o mgmt/cmd_vm.o mgmt/cmd_snap.o mgmt/snapshot.o mgmt/snapfile.o mgmt/cmd_snapio.o mgmt/api.o mgmt/prompt.o mgmt/miglink.o mgmt/miglink_wire.o mgmt/miglink_test.o
UNIT_SRCS += mgmt/snapfile.c mgmt/miglink_wire.c
