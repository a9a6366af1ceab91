"""Debian's own Linux kernel, unmodified, booted by keel on both backends (issue 6).

The kernel (linux-image-6.1.0-*-cloud-amd64) and a busybox initramfs whose init is
tests/linux/init come from tools/linux-guest, which downloads and caches them in build/linux/;
without them (no network) these tests are skipped, never passed."""
import calendar
import os
import re
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL = os.path.join(ROOT, 'build', 'linux', 'vmlinuz')
INITRD = os.path.join(ROOT, 'build', 'linux', 'initrd.gz')
GUEST = os.path.join(ROOT, 'build', 'guests', 'hello.elf')
_lock = threading.Lock()
_ready = []


def have_linux(Skip):
    """Fetch the kernel and build the initramfs once for all tests of the run."""
    with _lock:
        if not _ready:
            r = subprocess.run([os.path.join(ROOT, 'tools', 'linux-guest')],
                               capture_output=True, text=True)
            _ready.append(r.returncode == 0 and os.path.exists(KERNEL))
            _ready.append(r.stderr.strip())
    if not _ready[0]:
        raise Skip(f'no Linux guest: {_ready[1] or "tools/linux-guest failed"}')


def linux_vm(name, mem='256M', cpus=2, args='', extra=''):
    cmdline = f'console=ttyS0 {args}'.strip()
    return [f'{KERNEL} vm={name} mem={mem} cpus={cpus} {extra} cmdline="{cmdline}"',
            f'{INITRD} vm={name} initrd']


# What one boot must show, in order: userspace, uname -a, /proc/interrupts with timer and
# serial lines, a working sleep, two CPUs, a line typed on keel's console, the reboot, and
# keel reporting how the VM ended.
BOOT = [r'\[linux\] (\[ *[\d.]+\] )?clocksource: Switched to clocksource kvm-clock',
        r'\[linux\] KEEL-LINUX: userspace up',
        r'\[linux\] Linux \S+ 6\.1\.\d+.* x86_64',
        r'\[linux\] +CPU0 +CPU1',
        r'\[linux\] +\d+: .*(timer|IO-APIC|XT-PIC)',
        r'\[linux\] KEEL-LINUX: date \d{4}-',
        r'\[linux\] KEEL-LINUX: clocksource (kvm-clock|tsc)$',
        r'\[linux\] KEEL-LINUX: slept 1 second',
        r'\[linux\] KEEL-LINUX: cpus 2 online 0-1',
        r"\[linux\] KEEL-LINUX: read 'hello from keel'",
        r'\[linux\] KEEL-LINUX: reboot',
        r'vm linux: reset by the guest',
        r'summary: vm linux: reset, status 0',
        r'keel: end of run, status 0']
# The paravirtual clock gives Linux its TSC rate: it never times the TSC against the PIT (every
# read of which is an exit) nor drops the TSC for want of a rate. (On an AMD CPU without
# invariant TSC, as QEMU's TCG, Linux still marks the TSC unstable by policy when there are two
# CPUs, "TSCs unsynchronized": that does not touch kvm-clock.)
NO_CALIBRATION = [r'tsc: Fast TSC calibration failed', r'Unable to calibrate against PIT',
                  r'HPET/PMTIMER calibration failed', r'could not calculate TSC khz']
# Nor an MSR Linux expects from the CPUID it sees and keel refuses (README "MSRs and CPU features").
NO_CALIBRATION += [r'unchecked MSR access error']


def same_time_as_host(Fail):
    """The guest's wall clock starts at the time keel read from the host's RTC (keel logs it
    as "rtc: DATE TIME UTC"); the guest prints its own date after booting, so it may be ahead
    by the boot's length, never behind."""
    def check(text):
        host = re.search(r'rtc: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC', text)
        guests = re.findall(r'KEEL-LINUX: date (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)', text)
        if not host or not guests:
            raise Fail('no "rtc:" line from keel or no date from the guest')
        t0 = calendar.timegm(time.strptime(host.group(1), '%Y-%m-%d %H:%M:%S'))
        for g in guests:
            dt = calendar.timegm(time.strptime(g, '%Y-%m-%d %H:%M:%S')) - t0
            if not 0 <= dt <= 1800:
                raise Fail(f'guest date {g} is {dt} s from the host RTC\'s {host.group(1)}')
    return check


def both_checks(*checks):
    def check(text):
        for c in checks:
            c(text)
    return check


def tsc_as_keel_measured(Fail):
    """Linux takes the TSC frequency from kvm-clock's mul and shift (or, with no-kvmclock, on
    Intel from CPUID leaf 0x15, its crystal kHz * EBX in 32 bits): it must find the frequency
    keel measured ("timer: TSC N MHz"), within 0.1%. With kvm-clock it names it the
    processor's ("tsc: Detected N MHz processor") and adds a TSC line only if they differ."""
    def check(text):
        host = re.search(r'timer: TSC ([\d.]+) MHz', text)
        guest = (re.search(r'tsc: Detected ([\d.]+) MHz TSC', text) or
                 re.search(r'tsc: Detected ([\d.]+) MHz processor', text))
        if not host or not guest:
            raise Fail('no "timer: TSC" line from keel or no "tsc: Detected" line from Linux')
        if abs(float(guest.group(1)) / float(host.group(1)) - 1) > 0.001:
            raise Fail(f'Linux found a {guest.group(1)} MHz TSC; keel measured {host.group(1)}')
    return check


def cpu_flags(Fail, want, absent=()):
    """/proc/cpuinfo's flags (the init prints the first CPU's): each of want is there (x2APIC
    on any host, XSAVE and the AVX family where the host has them: issue 13, item 8), none of
    absent."""
    def check(text):
        lines = text.splitlines()
        at = next((i for i, l in enumerate(lines) if 'KEEL-LINUX: flags ' in l), None)
        if at is None:
            raise Fail('the guest printed no flags line')
        words = lines[at].split('KEEL-LINUX: flags ', 1)[1]
        for more in lines[at + 1:]:  # keel logs a long line in parts: "[NAME]+ ..."
            m = re.match(r'\[[ \d.]+\] \[[^]]+\]\+ (.*)', more)
            if not m:
                break
            words += ' ' + m.group(1)
        flags = set(words.split())
        missing = [f for f in want if f not in flags]
        extra = [f for f in absent if f in flags]
        if missing or extra:
            raise Fail(f'/proc/cpuinfo lacks {missing} or has {extra}: {sorted(flags)}')
    return check


def clock_as_offered(Fail):
    """Linux ends on kvm-clock, or on the TSC itself where the CPU offers invariant TSC (keel
    logs "invariant tsc yes" and passes the bit on): Linux then rates kvm-clock 299, under the
    TSC's 300, by design (arch/x86/kernel/kvmclock.c, "kvmclock is not necessary"). Either
    reads the time without an exit; acpi_pm, hpet or jiffies would not."""
    def check(text):
        switched = re.findall(r'clocksource: Switched to clocksource (\S+)', text)
        offered = {'kvm-clock'}
        if re.search(r'cpu: .*invariant tsc yes', text):
            offered.add('tsc')
        if not switched or switched[-1] not in offered:
            raise Fail(f'Linux switched to {switched}; keel offers {sorted(offered)}')
    return check


def define(boot, Fail):
    def ready():
        have_linux(boot.Skip)

    send = ['--send', 'type a line=hello from keel\\r']
    # AMD-V under QEMU TCG: two host CPUs for the guest's two vCPUs.
    boot('linux/boot[svm]', '--smp', '2', '--mem', '512M', *send,
         *linux_vm('linux', args='keel.input keel.end=reboot'),
         ordered=BOOT, reject=NO_CALIBRATION,
         check=both_checks(same_time_as_host(Fail), tsc_as_keel_measured(Fail),
                           clock_as_offered(Fail),
                           cpu_flags(Fail, ['x2apic', 'tsc_deadline_timer', 'mtrr'],
                                     ['xsave', 'avx', 'vmx', 'svm'])),
         timeout=240, cost=15, pre=ready)
    # QEMU's -cpu max: Linux finds XSAVE and the AVX family the host (TCG) has (its cloud
    # kernel is built without protection keys, so it shows no pku).
    boot('linux/cpu-max[svm]', '--smp', '2', '--mem', '512M', '--cpu', 'max',
         *linux_vm('linux', args='keel.end=poweroff'),
         expect=[r'\[linux\] KEEL-LINUX: userspace up', r'x86/fpu: Enabled xstate features 0x207',
                 r'clocksource: Switched to clocksource kvm-clock', r'x2apic enabled',
                 r'vm linux: powered off by the guest', r'keel: end of run, status 0'],
         reject=NO_CALIBRATION,
         check=cpu_flags(Fail, ['x2apic', 'xsave', 'avx', 'avx2', 'fma', 'f16c'],
                         ['vmx', 'svm', 'avx512f']),
         timeout=240, cost=15, pre=ready)
    # VT-x under Bochs: the two vCPUs share one host CPU (Bochs with two CPUs is several times
    # slower), which keel's scheduler handles like any other pair.
    boot('linux/boot[vmx]', '--emulator', 'bochs', '--mem', '512M', *send,
         *linux_vm('linux', args='keel.input keel.end=reboot'),
         ordered=BOOT, reject=NO_CALIBRATION,
         check=both_checks(same_time_as_host(Fail), tsc_as_keel_measured(Fail),
                           clock_as_offered(Fail),
                           cpu_flags(Fail, ['x2apic', 'tsc_deadline_timer', 'xsave', 'avx',
                                            'avx2'], ['vmx', 'svm'])),
         timeout=600, cost=120,
         needs=['grub-mkrescue'], pre=ready)
    # Two Linux VMs and a test guest at once, each console under its own name; one Linux
    # powers off, the other reboots.
    boot('linux/two-linux-and-a-guest[svm]', '--smp', '2', '--mem', '1G',
         *linux_vm('deb1', mem='200M', cpus=1, args='keel.end=poweroff'),
         *linux_vm('deb2', mem='200M', cpus=1, args='keel.end=reboot'),
         f'{GUEST} vm=hello mem=16M',
         expect=[r'\[deb1\] KEEL-LINUX: userspace up', r'\[deb2\] KEEL-LINUX: userspace up',
                 r'\[deb1\] KEEL-LINUX: slept 1 second', r'\[deb2\] KEEL-LINUX: slept 1 second',
                 r'\[hello\] hello from a 64-bit guest', r'vm deb1: powered off by the guest',
                 r'vm deb2: reset by the guest', r'vm hello: exited with status 0',
                 r'keel: end of run, status 0'],
         reject=[r'\[deb1\] KEEL-LINUX: reboot', r'\[deb2\] KEEL-LINUX: poweroff'],
         timeout=300, cost=25, pre=ready)
