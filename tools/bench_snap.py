"""Snapshot benchmarks for tools/bench (issue 15 item 6): snapshot save time, the first restore,
repeated rollbacks, a rollback that touched 1% of RAM against a full restore (every page
rewritten: after system_reset, whose reload clears all of RAM), and clone time, for the 16 MiB
counting guest (tests/guests/counter.c: one 4 KiB page rewritten per 100 ms tick) and a
256 MiB Linux guest (idle in its shell). Times are keel's own (the API's replies: `time-us` for
the whole command with its pause, `memory-us` for the pages alone), under QEMU TCG."""
import importlib.machinery
import os
import re
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEEL_RUN = os.path.join(ROOT, 'tools', 'keel-run')
KEEL_CTL = os.path.join(ROOT, 'tools', 'keel-ctl')
COUNTER = os.path.join(ROOT, 'build', 'guests', 'counter.elf')
LINUX = os.path.join(ROOT, 'build', 'linux')
WORK = os.path.join(ROOT, 'build', 'bench')
ctl = importlib.machinery.SourceFileLoader('keel_ctl', KEEL_CTL).load_module()


class Keel:
    def __init__(self, name, args, timeout=600):
        os.makedirs(WORK, exist_ok=True)
        self.log = os.path.join(WORK, f'snap-{name}.log')
        self.sock = os.path.join(WORK, f'snap-{name}.sock')
        for p in (self.log, self.sock):
            if os.path.exists(p):
                os.unlink(p)
        self.proc = subprocess.Popen([KEEL_RUN, '--quiet', '--log', self.log, '--timeout',
                                      str(timeout), '--api', self.sock] + args,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.c = None

    def wait(self, pattern, after=0, timeout=300):
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            try:
                text = open(self.log, encoding='utf-8', errors='replace').read()
            except FileNotFoundError:
                text = ''
            m = re.search(pattern, text[after:], re.M)
            if m:
                return after + m.end()
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f'no /{pattern}/ in {self.log}')

    def size(self):
        return os.path.getsize(self.log)

    def cmd(self, command, **args):
        if not self.c:
            while not os.path.exists(self.sock):
                time.sleep(0.1)
            self.c = ctl.Client(self.sock, timeout=120)
        r = self.c.send({'execute': command, 'arguments': args}, 600)
        if not r or 'return' not in r:
            raise RuntimeError(f'{command} {args}: {r}')
        return r['return']

    def close(self):
        if self.c:
            self.c.close()
        self.proc.kill()
        self.proc.wait()


def measure(row, group, k, vm, ram_pages, n, settle, one_pct_wait, reset_ready):
    """The figures for one VM already running in k."""
    saves = [k.cmd('snapshot-save', vm=vm, tag=f'b{i}')['time-us'] for i in range(n)]
    for i in range(1, n):
        k.cmd('snapshot-delete', vm=vm, tag=f'b{i}')
    row(group, 'snapshot-save, median', statistics.median(saves) / 1000, 'ms',
        f'{n} saves; pause, vCPU and device records, write-protect')
    time.sleep(settle)
    first = k.cmd('snapshot-load', vm=vm, tag='b0')
    row(group, 'first restore (snapshot-load)', first['time-us'] / 1000, 'ms',
        f'{first["pages-restored"]} pages restored, {first["memory-us"]} us of it memory')
    again = []
    for _ in range(n):
        time.sleep(settle)
        again.append(k.cmd('snapshot-load', vm=vm, tag='b0'))
    med = statistics.median(a['time-us'] for a in again)
    pages = statistics.median(a['pages-restored'] for a in again)
    row(group, 'repeated rollback, median', med / 1000, 'ms',
        f'{pages:.0f} pages written since the last one ({settle} s apart)')
    time.sleep(one_pct_wait)
    one = k.cmd('snapshot-load', vm=vm, tag='b0')
    mark = k.size()
    k.cmd('system_reset', vm=vm)
    k.wait(reset_ready, after=mark)
    full = k.cmd('snapshot-load', vm=vm, tag='b0')
    pct = 100 * one['pages-restored'] / ram_pages
    row(group, f'rollback of {pct:.1f}% of RAM: memory time', one['memory-us'] / 1000, 'ms',
        f'{one["pages-restored"]} pages')
    row(group, 'full restore (every page rewritten): memory time', full['memory-us'] / 1000, 'ms',
        f'{full["pages-restored"]} pages, after system_reset cleared RAM')
    ratio = 100 * one['memory-us'] / max(full['memory-us'], 1)
    row(group, f'{pct:.1f}% rollback / full restore', ratio, '%', 'target: 1% costs <= 5%')
    clones, used, own = [], [], []
    for i in range(n):
        r = k.cmd('vm-clone', vm=vm, tag='b0', name=f'k{i}')
        clones.append(r['time-us'])
        used.append(r['kib-used'])
        time.sleep(settle)
        own.append(next(v['pages-private'] for v in k.cmd('query-vms') if v['name'] == f'k{i}'))
        k.cmd('vm-destroy', vm=f'k{i}')
    row(group, 'vm-clone, median', statistics.median(clones) / 1000, 'ms',
        f'{n} clones (pages shared copy-on-write with the snapshot), each then destroyed')
    row(group, 'vm-clone: keel memory it took, median', statistics.median(used), 'KiB',
        f'tables and bookkeeping; RAM is {ram_pages * 4} KiB')
    row(group, f'clone\'s private pages {settle} s after, median', statistics.median(own),
        'pages', f'of {ram_pages}: the pages it wrote')


def bench_snapshots(row, n):
    n = max(3, min(n, 5))
    k = Keel('counter', ['--mem', '1G', f'{COUNTER} vm=c mem=16M'])
    try:
        k.wait(r'\[c\] tick 3 csum')
        measure(row, 'snapshot-16M', k, 'c', 4096, n, 0.5, 4.5, r'\[c\] tick 1 csum')
    except (RuntimeError, OSError, TimeoutError) as e:
        row('snapshot-16M', 'counter guest', 'FAILED', '', str(e)[:120])
    finally:
        k.close()
    kernel, initrd = os.path.join(LINUX, 'vmlinuz'), os.path.join(LINUX, 'initrd.gz')
    if not os.path.exists(kernel):
        row('snapshot-256M', 'Linux guest', 'SKIPPED', '', 'no build/linux (tools/linux-guest)')
        return
    k = Keel('linux', ['--mem', '1G',
                       f'{kernel} vm=l mem=256M cpus=1 cmdline="console=ttyS0 keel.end=shell"',
                       f'{initrd} vm=l initrd'])
    try:
        k.wait(r'KEEL-LINUX: userspace up', timeout=400)
        time.sleep(2)
        measure(row, 'snapshot-256M', k, 'l', 65536, n, 1.0, 2.0,
                r'KEEL-LINUX: userspace up')
    except (RuntimeError, OSError, TimeoutError) as e:
        row('snapshot-256M', 'Linux guest', 'FAILED', '', str(e)[:120])
    finally:
        k.close()
