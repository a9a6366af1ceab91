"""The local APIC as the Intel SDM vol. 3 ch. 11 describes it (issue 13, item 1): the
conformance guests tests/guests/lapic.c (one vCPU: IA32_APIC_BASE, xAPIC registers, TSC
deadline, x2APIC mode) and lapic-smp.c (IPIs between vCPUs by every kind of destination,
NMI and INIT). Each runs as lapic/NAME[svm] (QEMU TCG, -cpu qemu64,+svm,+npt),
lapic/NAME-cpu-max[svm] (-cpu max) and lapic/NAME[vmx] (Bochs). Every check prints a PASS
or FAIL line; a test wants the all-passed tally and no FAIL. keel emulates x2APIC and the
TSC-deadline timer on any host, so no check here may SKIP."""
from suite_guests import BACKENDS, END0, FAIL_LINE, passed, vm

SKIP_LINE = r'^\[[^]]*\] \[[^]]+\] SKIP'


def define(boot, Fail):
    def three(name, *modules, expect=(), args=(), timeout=60):
        """lapic/NAME on both backends, and on QEMU's -cpu max."""
        reject = [FAIL_LINE, SKIP_LINE, r'error: exception', r'panic']
        for tag, bargs, needs, tmo, cost in BACKENDS:
            boot(f'lapic/{name}[{tag}]', *bargs, *args, *modules, expect=list(expect),
                 reject=reject, timeout=max(tmo, timeout), needs=needs, cost=cost)
        boot(f'lapic/{name}-cpu-max[svm]', '--cpu', 'max', *args, *modules, expect=list(expect),
             reject=reject, timeout=timeout, cost=1.5)

    # One vCPU, 64-bit and 32-bit guests side by side.
    three('lapic', vm('lapic.elf', 'l64', 'mem=16M'), vm('lapic32.elf', 'l32', 'mem=16M'),
          expect=passed('l64', 'l32') + [r'\[l64\] PASS: x2APIC: deadline fires once',
                                         r'\[l32\] PASS: APIC_BASE EXTD without EN #GP', END0])

    # Three vCPUs on two host CPUs, 64-bit and 32-bit guests side by side.
    three('lapic-smp', vm('lapic-smp.elf', 's64', 'mem=16M', 'cpus=3'),
          vm('lapic-smp32.elf', 's32', 'mem=16M', 'cpus=3'), args=('--smp', '2'),
          expect=passed('s64', 's32') + [r'\[s64\] PASS: after INIT: LDR at power-on',
                                         r'\[s32\] PASS: x2APIC broadcast 0xffffffff', END0])
