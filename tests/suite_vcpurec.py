"""The vCPU record (issue 15 item 3, vCPU half): keel's test mode vcpurec=roundtrip saves each
vCPU's record every time it takes a CPU, scrambles its state, loads the record back and checks
that a second save is equal, stopping the VM with 'vcpurec: ...' otherwise. The conformance
guests for events, extended state, MSRs, the local APIC, the TSC and the KVM clock must pass
as they do without it, on both backends; one Linux boot on [svm]."""
from suite_guests import BACKENDS, END0, FAIL_LINE, passed, vm
from suite_linux import NO_CALIBRATION, have_linux, linux_vm

RT = ['--cmdline', 'vcpurec=roundtrip']
REJECT = [FAIL_LINE, r'error: exception', r'vcpurec:', r'panic']

# (test name, keel-run arguments, modules, VM names that print their tally)
GUESTS = [
    ('events', [], [vm('events.elf', 'ev', 'mem=16M')], ['ev']),
    ('xsave', [], [vm('xsave.elf', 'xs', 'mem=16M')], ['xs']),
    ('msrs', [], [vm('msrs.elf', 'ms', 'mem=16M')], ['ms']),
    ('lapic', [], [vm('lapic.elf', 'la', 'mem=16M')], ['la']),
    ('tsc', ['--smp', '2'], [vm('tsc.elf', 't64', 'mem=16M', 'cpus=2')], ['t64']),
    ('kvmclock', ['--smp', '2'], [vm('kvmclock.elf', 'k64', 'mem=16M')], ['k64']),
]


def define(boot, Fail):
    for name, args, modules, names in GUESTS:
        for tag, bargs, needs, tmo, cost in BACKENDS:
            boot(f'vcpurec/{name}[{tag}]', *bargs, *RT, *args, *modules,
                 expect=passed(*names) + [END0], reject=REJECT, timeout=tmo, needs=needs,
                 cost=cost)
    # AVX and PKRU through the record: QEMU's -cpu max has both.
    boot('vcpurec/xsave-cpu-max[svm]', '--cpu', 'max', *RT, vm('xsave.elf', 'xs', 'mem=16M'),
         expect=passed('xs') + [r'\[xs\] PASS: xsave-ymm0-high', r'\[xs\] PASS: xsave-pkru',
                                END0],
         reject=REJECT, timeout=60, cost=1.5)
    boot('vcpurec/linux[svm]', '--smp', '2', '--mem', '512M', *RT,
         *linux_vm('linux', args='keel.end=poweroff'),
         expect=[r'\[linux\] (\[ *[\d.]+\] )?clocksource: Switched to clocksource kvm-clock',
                 r'\[linux\] KEEL-LINUX: userspace up', r'vm linux: powered off by the guest',
                 END0],
         reject=REJECT + NO_CALIBRATION, timeout=300, cost=20,
         pre=lambda: have_linux(boot.Skip))
