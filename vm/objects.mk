# vm/: VMs and vCPUs, the backend interface, the scheduler, guest interrupts and timers, the bus,
# the console.
KOBJS += vm/vm.o vm/guest.o vm/bus.o vm/sched.o vm/virq.o vm/console.o
