# vm/: VMs and vCPUs, the backend interface, the scheduler, guest interrupts and timers, the
# paravirtual clock, the bus, the console and what guests write to it, the host's entropy,
# keel's switches, the state records' format and the vCPU's record, snapshot memory.
KOBJS += vm/vm.o vm/guest.o vm/bus.o vm/busmap.o vm/sched.o vm/sched_rq.o vm/sched_set.o vm/vmctl.o vm/cpustate.o vm/lifecycle.o vm/virq.o vm/kvmclock.o vm/console.o vm/guestout.o vm/entropy.o vm/vswitch.o vm/vswitch_gso.o vm/uplink.o vm/snapmem.o vm/vrecord.o vm/vcpu_rec.o vm/vcpu_rec_check.o
UNIT_SRCS += vm/guestout.c vm/busmap.c vm/vswitch.c vm/vswitch_gso.c vm/vrecord.c
