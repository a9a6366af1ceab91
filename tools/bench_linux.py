"""Linux boot benchmark for tools/bench (issue 13 item 9): Debian's kernel and the test
initramfs to the `userspace up` marker under keel and booted directly by bare QEMU TCG, the
same kernel, initramfs, command line, 256 MiB, one vCPU and -cpu qemu64 on both sides; keel's
exits during that boot by kind; an idle guest's exits per second.

Two clocks per boot: the wall time from QEMU's start, and the CPU time the QEMU process had
used by then (user + system, from /proc). On a machine shared with other work the wall time
also counts the time QEMU waited for a CPU; its CPU time does not, so it is the steadier figure.
Two command lines: the full console log (every kernel message through the 16550, two exits per
byte under keel) and `quiet`, Debian's default (GRUB_CMDLINE_LINUX_DEFAULT)."""
import os
import re
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINUX = os.path.join(ROOT, 'build', 'linux')
KERNEL, INITRD = os.path.join(LINUX, 'vmlinuz'), os.path.join(LINUX, 'initrd.gz')
KEEL_RUN = os.path.join(ROOT, 'tools', 'keel-run')
MARK = r'KEEL-LINUX: userspace up'
CMDLINES = [('', 'console=ttyS0 keel.end=poweroff'),
            (', quiet', 'console=ttyS0 quiet keel.end=poweroff')]
HZ = os.sysconf('SC_CLK_TCK')


def children(pid):
    """The pids whose parent is pid."""
    out = []
    for d in filter(str.isdigit, os.listdir('/proc')):
        try:
            stat = open(f'/proc/{d}/stat').read()
        except OSError:
            continue
        if int(stat.rsplit(')', 1)[1].split()[1]) == pid:  # field 4, after the name
            out.append(int(d))
    return out


def qemu_cpu(pid):
    """CPU seconds (user + system) of the QEMU process at or under pid, or None."""
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            if open(f'/proc/{p}/comm').read().startswith('qemu-system'):
                f = open(f'/proc/{p}/stat').read().rsplit(')', 1)[1].split()
                return (int(f[11]) + int(f[12])) / HZ
        except OSError:
            pass
        todo += children(p)
    return None


def boot(cmd, stop_at_mark):
    """Run cmd; (wall seconds, QEMU CPU seconds) at the marker (None, None without it), log."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    at = cpu = None
    lines = []
    for line in p.stdout:
        lines.append(line)
        if at is None and re.search(MARK, line):
            at, cpu = time.monotonic() - t0, qemu_cpu(p.pid)
            if stop_at_mark:
                p.kill()
                break
    p.wait()
    return at, cpu, ''.join(lines)


def keel_cmd(args):
    return [KEEL_RUN, '--timeout', '240', '--mem', '512M',
            f'{KERNEL} vm=linux mem=256M cmdline="{args}"', f'{INITRD} vm=linux initrd']


def bare_cmd(args):
    return ['qemu-system-x86_64', '-accel', 'tcg', '-cpu', 'qemu64', '-m', '256M', '-nodefaults',
            '-display', 'none', '-serial', 'stdio', '-no-reboot', '-kernel', KERNEL, '-initrd',
            INITRD, '-append', args]


def one_cmdline(row, runs, tag, args):
    """Alternating boots under keel and bare; the rows; keel's last log."""
    under, bare, log = [], [], ''
    for _ in range(runs):
        t, c, log = boot(keel_cmd(args), False)
        if t:
            under.append((t, c))
        t, c, _ = boot(bare_cmd(args), True)
        if t:
            bare.append((t, c))
    if not under or not bare:
        row('linux', f'boot to userspace{tag}', 'FAILED', '', 'no userspace line')
        return None
    u, b = statistics.median(x[0] for x in under), statistics.median(x[0] for x in bare)
    row('linux', f'boot to userspace under keel (QEMU TCG, AMD-V){tag}', u, 's',
        f'median of {len(under)}, start of QEMU to the first init line, keel boot included')
    row('linux', f'boot to userspace on bare QEMU TCG{tag}', b, 's', f'median of {len(bare)}')
    row('linux', f'ratio, keel / bare{tag}', u / b, 'x', 'wall time')
    if all(x[1] for x in under + bare):
        uc, bc = statistics.median(x[1] for x in under), statistics.median(x[1] for x in bare)
        row('linux', f'QEMU CPU time to userspace under keel{tag}', uc, 's', 'user + system')
        row('linux', f'QEMU CPU time to userspace on bare QEMU{tag}', bc, 's', '')
        row('linux', f'ratio of CPU time, keel / bare{tag}', uc / bc, 'x',
            'steadier on a shared machine')
    return log


def exits_rows(row, log, tag):
    m = re.search(r'summary: vm linux: .*?; (\d+) exits \(([^)]*)\)', log or '')
    if not m:
        return
    row('linux', f'exits during boot and power-off, total{tag}', int(m.group(1)), 'exits', '')
    if tag:
        return
    for part in m.group(2).split(', '):
        kind, count = part.rsplit(' ', 1)
        row('linux', f'  {kind} exits', int(count), 'exits', '')


def vm_life(log):
    """(seconds, exits) of the VM named linux, from keel's end-of-run summary."""
    m = re.search(r'summary: vm linux: .*?; ([\d.]+) s, .*?; (\d+) exits', log)
    return (float(m.group(1)), int(m.group(2))) if m else None


def idle_exits(row, run_timed, idle_s=10):
    """Exits per second of an idle Linux guest (issue 13, target under 100): two boots to the
    initramfs' shell, one powering off at once and one after idle_s seconds of `sleep`; the
    difference of their exits over the difference of their lives."""
    lives = []
    for s in (0, idle_s):
        _, log = run_timed(['--mem', '512M', '--send',
                            f'poweroff -f ends this VM=sleep {s}; poweroff -f\\r',
                            f'{KERNEL} vm=linux mem=256M cmdline="console=ttyS0 keel.end=shell"',
                            f'{INITRD} vm=linux initrd'], r'keel: end of run', 240)
        lives.append(vm_life(log))
    a, b = lives
    if not a or not b or b[0] <= a[0]:
        row('linux', 'idle guest: exits per second', 'FAILED', '', 'no summary line')
        return
    row('linux', 'idle guest: exits per second', (b[1] - a[1]) / (b[0] - a[0]), 'exits/s',
        f'{idle_s} s of sleep in its shell, 1 vCPU, kvm-clock; target < 100')


def bench_linux(row, run_timed, n):
    """The linux group's rows."""
    if subprocess.run([os.path.join(ROOT, 'tools', 'linux-guest')], capture_output=True).returncode:
        row('linux', 'boot to userspace', 'SKIPPED', '', 'tools/linux-guest could not fetch it')
        return
    runs = max(3, min(n, 5))
    for tag, args in CMDLINES:
        exits_rows(row, one_cmdline(row, runs, tag, args), tag)
    idle_exits(row, run_timed)
