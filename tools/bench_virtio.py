"""virtio benchmarks for tools/bench (issue 14 item 8): disk throughput (64 MiB with direct I/O)
and VM-to-VM TCP throughput through keel's switch, each side by side with the same guest on
bare QEMU TCG using QEMU's own virtio devices (two QEMUs joined by a socket backend on
127.0.0.1 only), and the exits keel takes per MiB moved. The guests run Debian's kernel with
the test initramfs (tools/linux-guest); their scripts are tests/linux/bench-*.sh."""
import os
import re
import resource
import statistics
import socket
import subprocess
import threading
import time

import bench_linux

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEEL_RUN = os.path.join(ROOT, 'tools', 'keel-run')
LINUX = os.path.join(ROOT, 'build', 'linux')
KERNEL, INITRD = os.path.join(LINUX, 'vmlinuz'), os.path.join(LINUX, 'initrd.gz')
WORK = os.path.join(ROOT, 'build', 'bench')
DISK_MIB = 72  # the 64 MiB written and read, and room
QEMU = ['qemu-system-x86_64', '-accel', 'tcg', '-cpu', 'qemu64', '-m', '256M', '-nodefaults',
        '-display', 'none', '-serial', 'stdio', '-no-reboot']
MACS = ['02:6b:00:00:00:01', '02:6b:00:00:00:02']


def link_local(mac):
    """The IPv6 link-local address Linux gives a NIC with this MAC (EUI-64, RFC 4291 2.5.1)."""
    b = [int(x, 16) for x in mac.split(':')]
    b[0] ^= 2
    e = b[:3] + [0xff, 0xfe] + b[3:]
    return 'fe80::' + ':'.join(f'{e[i] << 8 | e[i + 1]:x}' for i in range(0, 8, 2))


def mib_per_s(line):
    """MiB/s from busybox dd's last line: "N bytes (...) copied, S seconds, ..."."""
    m = re.search(r'(\d+) bytes .*copied, ([\d.]+) seconds', line or '')
    if not m or float(m.group(2)) <= 0:
        return None
    return int(m.group(1)) / float(m.group(2)) / (1 << 20)


def summary_exits(log, vm):
    m = re.search(rf'summary: vm {vm}: .*?; (\d+) exits', log)
    return int(m.group(1)) if m else None


def bare(append, devices, timeout=300, marker=r'KEEL-LINUX: (poweroff|reboot)'):
    """Boot the kernel on bare QEMU with these -device/-drive/-netdev arguments; its log."""
    cmd = QEMU + devices + ['-kernel', KERNEL, '-initrd', INITRD, '-append', append]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = []
    timer = threading.Timer(timeout, p.kill)
    timer.start()
    for line in p.stdout:
        out.append(line)
        if re.search(marker, line):
            p.kill()
            break
    p.wait()
    timer.cancel()
    return ''.join(out)


def disk_image():
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, 'disk.img')
    if not os.path.exists(path) or os.path.getsize(path) != DISK_MIB << 20:
        with open(path, 'wb') as f:
            f.truncate(DISK_MIB << 20)
    return path


DISK_MARKS = ('slept 1 second', 'bench-blk write', 'bench-blk read')  # tests/linux/init


def staged(cmd, timeout=600):
    """Run cmd to its end; (log, QEMU's CPU seconds at each of DISK_MARKS' first lines)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    timer = threading.Timer(timeout, p.kill)
    timer.start()
    out, cpu = [], {}
    for line in p.stdout:
        out.append(line)
        for m in DISK_MARKS:
            if m not in cpu and f'KEEL-LINUX: {m}' in line:
                cpu[m] = bench_linux.qemu_cpu(p.pid)
        if not cmd[0].endswith('keel-run') and 'KEEL-LINUX: bench-blk read' in line:
            p.kill()  # bare QEMU: its guest is done
            break
    p.wait()
    timer.cancel()
    return ''.join(out), cpu


def disk_run(cmd):
    """One run: {op: (MiB/s, QEMU CPU seconds for it)} and the log."""
    log, cpu = staged(cmd)
    res = {}
    for op, before in (('write', 'slept 1 second'), ('read', 'bench-blk write')):
        rate = mib_per_s((re.search(rf'KEEL-LINUX: bench-blk {op} (.*)', log) or [None, None])[1])
        mark = f'bench-blk {op}'
        c = cpu[mark] - cpu[before] if cpu.get(mark) and cpu.get(before) else None
        res[op] = (rate, c)
    return res, log


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    return xs[len(xs) // 2] if xs else None


def bench_disk(row, run_timed, n):
    """Keel and bare QEMU alternately, n runs each, medians: the guest-timed rate and the QEMU
    process's CPU time over each dd (steadier on a shared machine, in 10 ms ticks; the write's
    includes loading the virtio modules). Both also run with their RAM preallocated by QEMU
    (tools/keel-run --ram prealloc; bare QEMU's memory backend with prealloc=on), as a real
    machine's RAM is there from the start: keel's new disk blocks are pages it has not used
    before, whose first touch costs QEMU a host page fault, where bare QEMU's land in the host's
    page cache. That pair is the one the target is judged on."""
    img = disk_image()
    vm = lambda test: [f'{KERNEL} vm=linux mem=256M cmdline="console=ttyS0 keel.test={test}"',
                       f'{INITRD} vm=linux initrd', f'{img} vm=linux disk']
    keel = [KEEL_RUN, '--timeout', '600', '--mem', '1G'] + vm('bench-blk')
    bare = QEMU + ['-drive', f'file={img},if=none,id=d0,format=raw,snapshot=on', '-device',
                   'virtio-blk-pci,drive=d0', '-kernel', KERNEL, '-initrd', INITRD, '-append',
                   'console=ttyS0 keel.test=bench-blk']
    prealloc = ['-object', 'memory-backend-ram,id=ram0,size=256M,prealloc=on,prealloc-threads=2',
                '-machine', 'memory-backend=ram0']
    sides = {'keel': keel, 'keel-prealloc': keel[:1] + ['--ram', 'prealloc'] + keel[1:],
             'bare': bare, 'bare-prealloc': bare[:1] + prealloc + bare[1:]}
    runs = {s: [] for s in sides}
    log = ''
    for _ in range(n):
        for s, cmd in sides.items():
            r, lg = disk_run(cmd)
            runs[s].append(r)
            log = lg if s == 'keel' else log
    notes = {'keel': 'virtio-blk served by keel (QEMU TCG, AMD-V)',
             'keel-prealloc': "the same, keel's host memory preallocated (--ram prealloc)",
             'bare': "QEMU's virtio-blk-pci, raw image",
             'bare-prealloc': "the same, QEMU's RAM preallocated"}
    for op in ('write', 'read'):
        med = {}
        for s in sides:
            rate = median(r[op][0] for r in runs[s])
            cpu = median(r[op][1] for r in runs[s])
            med[s] = (rate, cpu)
            row('virtio', f'disk {op}, 64 MiB direct I/O, {s}', rate or 'FAILED', 'MiB/s',
                f'median of {n}; ' + notes[s])
            if cpu:
                row('virtio', f'disk {op}: QEMU CPU time, {s}', cpu, 's',
                    'over the dd' if op == 'read' else 'loading the virtio modules, then the dd')
        for s, q in (('keel-prealloc', 'bare-prealloc'), ('keel', 'bare')):
            if med[s][0] and med[q][0]:
                row('virtio', f'disk {op}, {q} / {s}', med[q][0] / med[s][0], 'x',
                    'target: within 2x' if s == 'keel-prealloc' else
                    "keel-run's default memory: QEMU backs a page at its first touch")
            if med[s][1] and med[q][1]:
                row('virtio', f'disk {op}: CPU time, {s} / {q}', med[s][1] / med[q][1], 'x',
                    '')
    _, idle = run_timed(['--mem', '1G'] + vm('none'), r'keel: end of run', 600)
    a, b = summary_exits(log, 'linux'), summary_exits(idle, 'linux')
    if a and b:
        row('virtio', 'disk: exits per MiB moved', (a - b) / 128, 'exits/MiB',
            'a boot with the 128 MiB of I/O less one without')


def cpu_s():
    """Host CPU seconds of this process's waited-for descendants (the emulators), so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def net_args(i, role, tool):
    peers = [link_local(m) for m in MACS]
    return (f'console=ttyS0 keel.test=bench-net keel.tool={tool} keel.role={role} '
            f'keel.peer={peers[1 - i]}')


def keel_net(run_timed, tool):
    """One run of the two VMs on a keel switch: (MiB/s, emulator CPU seconds, log)."""
    vms = []
    for i, (name, role) in enumerate((('tx', 'serve'), ('rx', 'fetch'))):
        vms += [f'{KERNEL} vm={name} mem=200M net=bench mac={MACS[i]} pin={i + 1} '
                f'cmdline="{net_args(i, role, tool)}"', f'{INITRD} vm={name} initrd']
    # A TCG thread per CPU, as the bare pair has a QEMU process each, with the two guests on
    # CPUs 1 and 2: QEMU's multi-threaded TCG bug corrupts only CPU 0's state, and only while
    # CPU 0 runs guests (README "QEMU's multi-threaded TCG"), so CPU 0 keeps none.
    c0 = cpu_s()
    _, log = run_timed(['--smp', '3', '--tcg-threads', 'multi', '--mem', '1G'] + vms,
                       r'keel: end of run', 600)
    m = re.search(r'\[rx\] KEEL-LINUX: bench-net (?:http-)?fetch (.*)', log)
    return mib_per_s(m and m.group(1)), cpu_s() - c0, log


def bare_net(tool):
    """One run of two bare QEMUs joined by a socket backend: (MiB/s, CPU seconds of both)."""
    port = 20000 + os.getpid() % 20000
    logs = {}

    def one(i, role, backend):
        logs[role] = bare(net_args(i, role, tool),
                          ['-netdev', f'socket,id=n0,{backend}',
                           '-device', f'virtio-net-pci,netdev=n0,mac={MACS[i]}'])
    c0 = cpu_s()
    # The fetching guest listens inside; its QEMU connects to the serving guest's QEMU, which
    # must listen first (QEMU gives up at once on a refused connect).
    t = threading.Thread(target=one, args=(0, 'serve', f'listen=127.0.0.1:{port}'))
    t.start()
    for _ in range(100):
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    one(1, 'fetch', f'connect=127.0.0.1:{port}')
    t.join()
    m = re.search(r'KEEL-LINUX: bench-net (?:http-)?fetch (.*)', logs.get('fetch', ''))
    return mib_per_s(m and m.group(1)), cpu_s() - c0, sent_frames(logs.get('serve', ''))


def sent_frames(log, vm=''):
    """Frames the serving guest's NIC sent, by its own count (tests/linux/bench-net.sh); vm:
    its name where the log holds both guests' lines (keel's)."""
    who = re.escape(f'[{vm}] ') if vm else ''
    m = re.search(who + r'KEEL-LINUX: bench-net frames sent (\d+)', log)
    return int(m.group(1)) if m else None


def port_frames(log, port):
    """Frames a switch port sent and how many were GSO frames, from the run's summary."""
    m = re.search(rf'port {port}: rx \d+ frames \(\d+ bytes\), tx (\d+) frames '
                  rf'\(\d+ bytes, (\d+) GSO\)', log)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def med(xs):
    xs = [x for x in xs if x]
    return statistics.median(xs) if xs else None


def bench_net(row, run_timed, n):
    """Each tool (busybox nc: 1 KiB per system call; busybox httpd's sendfile and wget), keel
    and bare QEMU alternately, min(n, 3) runs each: medians of the guest-timed MiB/s and of the
    emulators' host CPU seconds for the whole run (boots included; not skewed by other load on
    the host, which gives two bare QEMU processes twice the share of keel's one)."""
    for tool in ('nc', 'http'):
        k, q, kc, qc, kf, qf, log = [], [], [], [], [], [], ''
        for _ in range(max(1, min(n, 3))):
            a, c, log = keel_net(run_timed, tool)
            k.append(a)
            kc.append(c)
            kf.append(sent_frames(log, 'tx'))
            a, c, f = bare_net(tool)
            q.append(a)
            qc.append(c)
            qf.append(f)
        mk, mq = med(k), med(q)
        row('virtio', f'VM-to-VM TCP, 64 MiB, {tool}, under keel', mk or 'FAILED', 'MiB/s',
            'two VMs on one keel switch (QEMU TCG, AMD-V, a TCG thread per CPU, guests on CPUs 1-2)')
        row('virtio', f'VM-to-VM TCP, 64 MiB, {tool}, two bare QEMUs', mq or 'FAILED', 'MiB/s',
            'virtio-net-pci joined by -netdev socket on 127.0.0.1')
        if mk and mq:
            row('virtio', f'VM-to-VM TCP, {tool}, bare QEMU / keel', mq / mk, 'x',
                'target: within 2x')
        row('virtio', f'VM-to-VM TCP, {tool}: emulator CPU, keel', med(kc), 's',
            "host CPU seconds of keel's QEMU, both boots included")
        row('virtio', f'VM-to-VM TCP, {tool}: emulator CPU, bare', med(qc), 's',
            'host CPU seconds of both QEMUs, both boots included')
        if med(kc) and med(qc):
            row('virtio', f'VM-to-VM TCP, {tool}: CPU keel / bare', med(kc) / med(qc), 'x', '')
        ex = [summary_exits(log, v) for v in ('tx', 'rx')]
        if all(ex):
            row('virtio', f'net, {tool}: exits per MiB moved (both VMs, boots included)',
                sum(ex) / 64, 'exits/MiB', 'upper bound: the boots are counted too')
        frames, gso = port_frames(log, 'tx.0')
        if frames:
            row('virtio', f'net, {tool}: frames per MiB sent (GSO frames)', frames / 64,
                'frames/MiB', f'{gso} of {frames} frames GSO (up to 64 KiB each), last run')
        for side, fs in (('keel', kf), ('bare', qf)):
            if med(fs):
                row('virtio', f'net, {tool}: frames per MiB sent, {side}', med(fs) / 64,
                    'frames/MiB', "the sending guest's own count, median")
