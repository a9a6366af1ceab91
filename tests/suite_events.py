"""Events (issue 13, item 5): exceptions with their error codes, double and triple faults, the
STI and MOV SS shadows, NMI blocking, and task switches, checked by tests/guests/events.c on
AMD-V (QEMU TCG, qemu64 and -cpu max) and VT-x (Bochs)."""
from suite_guests import BACKENDS, END0, END1, FAIL_LINE, passed, vm


def define(boot, Fail):
    def three(name, *modules, expect=(), reject=(), status=0, only=None):
        """guest/NAME[svm], guest/NAME[vmx] and guest/NAME-cpu-max[svm], with only={'vmx': [...]}
        more patterns for one backend. A SKIP (a QEMU TCG quirk, tests/guests/events.c
        CHECK_TCG, or VME missing from TCG's CPUID) is accepted on AMD-V only."""
        for tag, bargs, needs, tmo, cost in BACKENDS:
            skips = [r'\] SKIP '] if tag == 'vmx' else []
            more = (only or {}).get(tag, [])
            boot(f'guest/{name}[{tag}]', *bargs, *modules, expect=[*expect, *more],
                 reject=[FAIL_LINE, r'error: exception', *reject, *skips], status=status,
                 timeout=tmo, needs=needs, cost=cost)
        boot(f'guest/{name}-cpu-max[svm]', '--cpu', 'max', *modules, expect=list(expect),
             reject=[FAIL_LINE, r'error: exception', *reject], status=status, timeout=60)

    # Every check of the 64- and 32-bit events guest passes.
    three('events', vm('events.elf', 'e64', 'mem=16M'), vm('events32.elf', 'e32', 'mem=16M'),
          expect=passed('e64', 'e32') + [
              r'\[e64\] PASS: #PF injected: insb to an unmapped page',
              r'\[e32\] PASS: #OF: into with OF=1', r'\[e64\] PASS: #DF: #GP\(sel\)',
              r'\[e32\] PASS: NMI: a second NMI',
              r'\[e32\] PASS: v86, IOPL 0, no VME: int \$0x60 is #GP\(0\) to the monitor',
              r'\[e32\] PASS: v86, IOPL 3: int \$0x60 goes through the IDT', END0],
          only={'vmx': [r'\[e32\] PASS: v86, VME, IOPL 0: int \$0x60 goes through the IVT',
                        r'\[e64\] PASS: #AC\(0\): misaligned load at CPL 3']})

    # Real mode: INT n, #DE and #UD through the IVT (tests/guests/events16.S).
    three('events-real', vm('events16.bin', 'r16', 'mem=4M'),
          expect=[r'\[r16\] PASS: real mode: int \$0x61 through the IVT returns after itself',
                  r'\[r16\] PASS: real mode: #DE through the IVT names the div',
                  r'\[r16\] PASS: real mode: #UD through the IVT names the ud2',
                  r'\[r16\] PASSED: 3 checks, 0 failed', r'vm r16: exited with status 0 ', END0])

    # A fault while delivering #DF: the VM shuts down (triple fault), keel and the other VM
    # live on.
    three('events-triple', vm('events.elf', 't64', 'mem=16M', 'cmdline="triple=1"'),
          vm('hello.elf', 'ok', 'mem=16M'),
          expect=[r'vm t64: stopped: triple fault', r'vm ok: exited with status 0', END1],
          status=1)

    # An interrupt delivered through an IDT in device memory (the LAPIC page): the exit names
    # the gate's address, not an access of the MOV at RIP, which keel must not perform (it did:
    # it wrote the LAPIC for it and skipped it). The VM stops, logged; the other lives on.
    three('events-idt-device', vm('events.elf', 'd64', 'mem=16M', 'cmdline="idtdev=1"'),
          vm('events32.elf', 'd32', 'mem=16M', 'cmdline="idtdev=1"'),
          expect=[r'vm d64: stopped: delivering vector 80 touched guest-physical 0xfee00500,',
                  r'vm d32: stopped: delivering vector 80 touched guest-physical 0xfee00280,',
                  END1],
          status=1)

    # A task switch (JMP to a TSS) is refused with a log line; keel and the other VM live on.
    # QEMU's TCG ignores the task-switch intercept and switches tasks itself: on AMD-V the
    # guest's new task runs instead (seen in the log, the VM passes).
    task = (vm('events32.elf', 'ts', 'mem=16M', 'cmdline="task=1"'), vm('hello.elf', 'ok', 'mem=16M'))
    tcg = [r'\[ts\] PASS: ljmp to a TSS ran the new task', r'vm ok: exited with status 0', END0]
    for tag, bargs, needs, tmo, cost in BACKENDS:
        refused = [r'vm ts: stopped: task switch \(exit 0x9, .* not emulated',
                   r'vm ok: exited with status 0', END1]
        boot(f'guest/events-task[{tag}]', *bargs, *task, expect=tcg if tag == 'svm' else refused,
             reject=[FAIL_LINE], status=0 if tag == 'svm' else 1, timeout=tmo, needs=needs,
             cost=cost)

    # Each injected interrupt arrives once: a handler that spins with interrupts off (and no
    # PAUSE, which would end QEMU's TB loop) must never be entered again from inside itself.
    # With two emulated CPUs QEMU's TCG stops each CPU every 100 ms and delivered the injected
    # interrupt again then (README "QEMU's TCG delivers an injected interrupt twice"); keel
    # makes the guest exit right after each injection there. Bochs checks the same on VT-x.
    for tag, bargs, needs, tmo, cost in BACKENDS:
        smp, spin, n = (['--smp', '2'], 30, 60) if tag == 'svm' else ([], 5, 10)
        boot(f'guest/irq-once[{tag}]', *bargs, *smp,
             vm('irqonce.elf', 'once', 'mem=16M', f'cmdline="spin={spin} n={n}"'),
             expect=[rf'\[once\] irqonce: {n} interrupts taken', *passed('once'), END0],
             reject=[FAIL_LINE], timeout=tmo, needs=needs, cost=cost)
