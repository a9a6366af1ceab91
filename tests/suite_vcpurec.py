"""The vCPU record (issue 15 item 3, vCPU half): keel's test mode vcpurec=roundtrip saves each
vCPU's record every time it takes a CPU, scrambles its state, loads the record back and checks
that a second save is equal, stopping the VM with 'vcpurec: ...' otherwise. The conformance
guests for events, extended state, MSRs, the local APIC, the TSC and the KVM clock must pass
as they do without it, on both backends (six VMs in one run each); one Linux boot on [svm].

A snapshot rolled back across a pause, and cloned, leaves the guest's clocks agreeing (README
"Snapshots: the guest's clocks"): the KVM clock guest, in the middle of comparing its clock
with its TSC, is snapshotted, paused 3 s, rolled back and resumed, and cloned; both copies find
the clock advancing with the TSC, never back, and its wall clock within 2 s of the RTC."""
import re
import time

from suite_guests import BACKENDS, END0, FAIL_LINE, passed, vm
from suite_linux import NO_CALIBRATION, have_linux, linux_vm
from suite_vmctl import api_test

RT = ['--cmdline', 'vcpurec=roundtrip']
REJECT = [FAIL_LINE, r'error: exception', r'vcpurec:', r'panic']

# The conformance guests, each as its own VM of one keel run per backend (make test's time: a
# Bochs boot costs a minute whatever it runs): events, extended state, MSRs, the local APIC,
# the TSC (2 vCPUs) and the KVM clock, on 2 host CPUs so that vCPUs move.
GUESTS = [vm('events.elf', 'ev', 'mem=16M'), vm('xsave.elf', 'xs', 'mem=16M'),
          vm('msrs.elf', 'ms', 'mem=16M'), vm('lapic.elf', 'la', 'mem=16M'),
          vm('tsc.elf', 't64', 'mem=16M', 'cpus=2'), vm('kvmclock.elf', 'k64', 'mem=16M')]
NAMES = ['ev', 'xs', 'ms', 'la', 't64', 'k64']


def clock_rollback(run):
    """Snapshot k 0.3 s into its 2 s comparison of clock and TSC, pause it 3 s, roll it back and
    resume it, clone it as k2: both end every check passed."""
    run.wait(r'\[k\] PASS: mul ')
    time.sleep(0.3)
    run.cmd('snapshot-save', vm='k', tag='t')
    run.cmd('stop', vm='k')
    time.sleep(3)
    run.cmd('snapshot-load', vm='k', tag='t')
    run.cmd('cont', vm='k')
    run.cmd('vm-clone', vm='k', tag='t', name='k2')
    for name in ('k', 'k2'):
        run.wait(rf'\[{name}\] PASSED: \d+ checks, 0 failed')
        run.wait(rf'vm {name}: exited with status 0 ')
    run.finish(0)
    m = re.search(FAIL_LINE, run.text(), re.M)
    if m:
        raise run.Fail(f'log has a FAIL line: {m.group(0)!r}')


def define(boot, Fail):
    api_test(boot, Fail, 'vcpurec/clock-rollback[svm]',
             [vm('kvmclock.elf', 'k', 'mem=16M', 'cmdline="ms=2000"')], clock_rollback, 120,
             False)
    for tag, bargs, needs, tmo, cost in BACKENDS:
        boot(f'vcpurec/guests[{tag}]', *bargs, *RT, '--smp', '2', *GUESTS,
             expect=passed(*NAMES) + [END0], reject=REJECT, timeout=2 * tmo, needs=needs,
             cost=2 * cost)
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
