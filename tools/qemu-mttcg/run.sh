#!/bin/sh
# run.sh [RUNS] [CMDLINE]: boot repro.elf RUNS times (default 10) with one TCG thread per CPU, then
# with one for all, and count the runs that do not end with "ALL DONE" (status 33); a triple fault
# ends QEMU with status 0 (-no-reboot). CMDLINE: knobs in main.c (default "n=100000 fpu=1 real=1").
# Failed runs' serial and `-d int` logs stay in logs/. Env: MODES ("multi single"), SMP (2),
# TMO (timeout, 120 s), PIN (e.g. "taskset -c 1"), QEXTRA (more QEMU options for every run).
cd "$(dirname "$0")" || exit 1
make -s repro.elf || exit 1
runs=${1:-10}; args=${2:-n=100000 fpu=1 real=1}
mkdir -p logs
for mode in ${MODES:-multi single}; do
	fail=0
	for i in $(seq 1 "$runs"); do
		log=logs/$mode-$i-$$
		$PIN timeout "${TMO:-120}" qemu-system-x86_64 -no-user-config -accel tcg,thread=$mode \
			-machine pc -cpu qemu64,+svm,+npt -smp "${SMP:-2}" -m 256M -nodefaults \
			-display none -serial stdio -monitor none -no-reboot \
			-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel repro.elf -append "$args" \
			-d int,cpu_reset -D "$log.qemu" $QEXTRA >"$log.serial" 2>&1
		rc=$?
		if [ $rc -eq 33 ]; then rm -f "$log.serial" "$log.qemu"; else
			fail=$((fail + 1))
			echo "  $mode run $i: status $rc $(grep -m1 -o 'v=0e e=[0-9a-f]*.*pc=[0-9a-f]*' "$log.qemu")"
		fi
	done
	echo "thread=$mode: $fail of $runs runs failed (cmdline '$args')"
done
