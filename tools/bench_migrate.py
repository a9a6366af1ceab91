"""Live migration benchmarks for tools/bench (issue 17 item 5): total migration time and the
VM's downtime, keel's own (query-migrate's total-time-ms and downtime-ms), and pages sent
against pages of RAM, for an idle and a busy 64 MiB counting guest (tests/guests/counter.c:
one page per 100 ms tick, and one per 2 ms with its whole 4 MiB area written first) and a
256 MiB Linux guest idle in its shell. Two keels in QEMU TCG wired by keel-run's
--net-listen/--net-connect on a loopback port, as tests/suite_migrate.py."""
import importlib.machinery
import os
import signal
import socket
import time

import bench_snap

ROOT = bench_snap.ROOT
KEEL_RUN, KEEL_CTL, COUNTER = bench_snap.KEEL_RUN, bench_snap.KEEL_CTL, bench_snap.COUNTER
LINUX = bench_snap.LINUX
KEY = '000102030405060708090a0b0c0d0e0f'
BUDGET_S = 300  # one migration, at most
ctl = importlib.machinery.SourceFileLoader('keel_ctl', KEEL_CTL).load_module()


class Keel(bench_snap.Keel):
    """bench_snap's Keel, whose close also ends the emulator (its own session)."""

    def close(self):
        try:
            with open(f'/proc/{self.proc.pid}/task/{self.proc.pid}/children') as f:
                for k in f.read().split():
                    os.killpg(int(k), signal.SIGKILL)
        except OSError:
            pass
        super().close()


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def pair(name, vms):
    port = free_port()
    a = Keel(f'mig-{name}-a', ['--mem', '512M', '--net-listen', f'127.0.0.1:{port}',
                               '--cmdline', f'host=a migrate_key={KEY} incoming=yes', *vms])
    a.wait(r'keel: ready', timeout=60)
    b = Keel(f'mig-{name}-b', ['--mem', '512M', '--net-connect', f'127.0.0.1:{port}',
                               '--cmdline', f'host=b migrate_key={KEY} incoming=yes'])
    b.wait(r'miglink: on the host NIC', timeout=60)
    return a, b


def migrate(row, group, a, vm, ram_pages):
    a.cmd('migrate', vm=vm, to='b')
    until = time.monotonic() + BUDGET_S
    q = a.cmd('query-migrate', vm=vm)
    while q['status'] == 'active' and time.monotonic() < until:
        time.sleep(1)
        q = a.cmd('query-migrate', vm=vm)
    if q['status'] != 'completed':
        row(group, 'migration', 'FAILED', '', f'{q["status"]}: {q.get("reason", "")}'
            f' round {q["round"]}, {q["pages-sent"]} pages, {q["bandwidth-kib"]} KiB/s')
        return
    row(group, 'total migration time', q['total-time-ms'], 'ms',
        f'{q["round"]} rounds, last round at {q["bandwidth-kib"]} KiB/s')
    row(group, 'downtime', q['downtime-ms'], 'ms', 'VM paused until the peer answered DONE')
    row(group, 'pages sent / pages of RAM', 100 * q['pages-sent'] / ram_pages, '%',
        f'{q["pages-sent"]} of {ram_pages}')


def one(row, group, vms, ready, vm, ram_pages, ready_timeout=120):
    a = b = None
    try:
        a, b = pair(group, vms)
        a.wait(ready, timeout=ready_timeout)
        migrate(row, group, a, vm, ram_pages)
    except (RuntimeError, OSError, TimeoutError, KeyError) as e:
        row(group, 'migration', 'FAILED', '', str(e)[:120])
    finally:
        for k in (a, b):
            if k:
                k.close()


def bench_migration(row, n):
    del n  # one migration each: minutes under TCG
    one(row, 'migrate-64M-idle', [f'{COUNTER} vm=c mem=64M'], r'\[c\] tick 5 csum', 'c', 16384)
    one(row, 'migrate-64M-busy', [f'{COUNTER} vm=c mem=64M cmdline="period=2"'],
        r'\[c\] tick 1030 csum', 'c', 16384)
    kernel, initrd = os.path.join(LINUX, 'vmlinuz'), os.path.join(LINUX, 'initrd.gz')
    if not os.path.exists(kernel):
        row('migrate-256M-linux', 'Linux guest', 'SKIPPED', '', 'no build/linux')
        return
    one(row, 'migrate-256M-linux',
        [f'{kernel} vm=l mem=256M cpus=1 cmdline="console=ttyS0 keel.end=shell"',
         f'{initrd} vm=l initrd'], r'KEEL-LINUX: userspace up', 'l', 65536, ready_timeout=400)

