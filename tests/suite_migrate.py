"""Live migration (issue 17, items 3-5): two keels in QEMU wired by keel-run's
--net-listen/--net-connect on a loopback port (as tests/suite_uplink.py), each with host= and
migrate_key=, the destination with incoming=yes, both driven through their --api sockets.
- migrate/counter[svm]: the counting guest (tests/guests/counter.c: a 4 MiB area rewritten a
  page a tick, its checksum checked every tick) migrates while it runs and goes on on the peer:
  its next tick is the source's last one plus one, every checksum ok; query-migrate says
  completed with its rounds, pages and downtime, and the source's copy is destroyed.
- migrate/linux[svm]: a Linux VM with a loop rewriting memory migrates; the loop goes on and its
  shell answers a line typed on the peer's console.
- migrate/peer-killed[svm]: the peer killed mid-migration: query-migrate says failed, with the
  reason, and the guest goes on ticking on the source.
- migrate/wrong-key[svm]: a peer started with another migrate_key refuses the stream: failed on
  the source, the guest goes on, nothing built on the peer.
- migrate/there-and-back[svm]: the counting guest goes to the peer and comes back to the keel
  it left, under the same name (freed there when it left), ticking on each time.
- migrate/counter[vmx]: migrate/counter on two Bochs machines (VT-x) on keel-run's wire
  (README "Two Bochs machines on one wire"), with a 16 MiB VM."""
import os
import re
import socket
import time

import suite_vmctl as vmctl
from suite_linux import have_linux, linux_vm

COUNTER = vmctl.COUNTER
KEY = '000102030405060708090a0b0c0d0e0f'
OTHER_KEY = 'f0e0d0c0b0a090807060504030201000'
LINUX_BUDGET_S = 150  # the Linux test's migration, at most (then SKIP with what it measured)
SKIP = []  # boot.Skip, set by define
TICK = r'^\[[^]]*\] \[{vm}\] tick (\d+) csum ([0-9a-f]{{8}}) ok$'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def pair(g, Fail, name, vms, timeout, dst_key=KEY, dst_extra=(), emu=()):
    """A source keel (host=a, listening) with vms and a destination keel (host=b, connecting)
    with none, both incoming=yes (so neither ends when it has no VM left): (src, dst), both
    vmctl.Run."""
    port = free_port()
    src = vmctl.Run(g, f'{name}-src', [*emu, '--net-listen', f'127.0.0.1:{port}', '--cmdline',
                                       f'host=a migrate_key={KEY} incoming=yes', *vms],
                    timeout, Fail)
    until = time.monotonic() + 60  # QEMU listens before keel's first line
    while 'keel ' not in src.text() and time.monotonic() < until:
        time.sleep(0.2)
    dst = vmctl.Run(g, f'{name}-dst', [*emu, '--net-connect', f'127.0.0.1:{port}', *dst_extra,
                                       '--cmdline', f'host=b migrate_key={dst_key} incoming=yes'],
                    timeout, Fail)
    return src, dst


def wait_status(run, vm, timeout=180):
    """query-migrate until it is no longer active: its last answer."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        q = run.cmd('query-migrate', vm=vm)
        if q.get('status') != 'active':
            return q
        time.sleep(1)
    raise run.Fail(f'the migration of {vm} is still active after {timeout} s: {q}')


def ticks(text, vm, after=0):
    return [(int(n), c) for n, c in re.findall(TICK.format(vm=vm), text[after:], re.M)]


def counter(src, dst):
    dst.wait(r'miglink: on the host NIC')  # the peer up (a Bochs boots slower than it ticks)
    src.wait(r'\[c\] tick 5 csum')
    r = src.cmd('migrate', vm='c', to='b', **{'downtime-ms': 300})
    if r.get('status') != 'active':
        raise src.Fail(f'migrate replied {r}')
    q = wait_status(src, 'c')
    if q.get('status') != 'completed':
        raise src.Fail(f'query-migrate: {q}')
    for k in ('round', 'pages-sent', 'downtime-ms', 'total-time-ms', 'ram-pages'):
        if k not in q:
            raise src.Fail(f'query-migrate lacks {k}: {q}')
    if not 0 < q['pages-sent'] < 3 * q['ram-pages']:
        raise src.Fail(f'pages sent out of range: {q}')
    last = ticks(src.text(), 'c')[-1][0]
    dst.wait(r'vm c: migrated in')
    dst.wait(TICK.format(vm='c'))
    first = ticks(dst.text(), 'c')[0][0]
    if not last < first <= last + 2:
        raise dst.Fail(f'the source\'s last tick was {last}, the peer\'s first {first}')
    dst.wait(rf'\[c\] tick {first + 5} csum [0-9a-f]{{8}} ok$')
    if re.search(r'\[c\] tick \d+ csum \w+ BAD', dst.text()):
        raise dst.Fail('a checksum went bad on the peer')
    vms = {v['name']: v['state'] for v in src.cmd('query-vms')}
    if vms.get('c') != 'destroyed':
        raise src.Fail(f'the source\'s copy is {vms.get("c")}, not destroyed')
    print(f'migrate/counter: {q["round"]} rounds, {q["pages-sent"]} pages of '
          f'{q["ram-pages"]}, {q["total-time-ms"]} ms, downtime {q["downtime-ms"]} ms')


def clone(src, dst):
    """A clone (its RAM shared with the snapshot it came from) migrates like any VM: its
    pages arrive whole, the source's VM goes on unchanged."""
    dst.wait(r'miglink: on the host NIC')
    src.wait(r'\[c\] tick 3 csum')
    src.cmd('snapshot-save', vm='c', tag='s')
    src.cmd('vm-clone', vm='c', tag='s', name='d')
    src.wait(r'\[d\] tick \d+ csum')
    src.cmd('migrate', vm='d', to='b', **{'downtime-ms': 300})
    q = wait_status(src, 'd')
    if q.get('status') != 'completed':
        raise src.Fail(f'query-migrate: {q}')
    dst.wait(r'vm d: migrated in')
    first = ticks(dst.text(), 'd') or [(int(dst.wait(TICK.format(vm='d')).group(1)), '')]
    dst.wait(rf'\[d\] tick {first[0][0] + 4} csum [0-9a-f]{{8}} ok$')
    n = ticks(src.text(), 'c')[-1][0]
    src.wait(rf'\[c\] tick {n + 3} csum [0-9a-f]{{8}} ok$')


def there_and_back(src, dst):
    """a -> b -> a: the name c, freed on a when c left, takes c back; ticks go on each time."""
    dst.wait(r'miglink: on the host NIC')
    src.wait(r'\[c\] tick 5 csum')
    for frm, to, host in ((src, dst, 'b'), (dst, src, 'a')):
        mark = len(to.text())
        r = frm.cmd('migrate', vm='c', to=host, **{'downtime-ms': 300})
        if r.get('status') != 'active':
            raise frm.Fail(f'migrate to {host} replied {r}')
        q = wait_status(frm, 'c')
        if q.get('status') != 'completed':
            raise frm.Fail(f'query-migrate (to {host}): {q}')
        last = ticks(frm.text(), 'c')[-1][0]
        to.wait(r'vm c: migrated in', after=mark)
        to.wait(TICK.format(vm='c'), after=mark)
        first = ticks(to.text(), 'c', after=mark)[0][0]
        if not last < first <= last + 2:
            raise to.Fail(f'to {host}: the last tick was {last}, the next {first}')
        to.wait(rf'\[c\] tick {first + 3} csum [0-9a-f]{{8}} ok$', after=mark)
        states = [v['state'] for v in to.cmd('query-vms') if v['name'] == 'c']
        if states[-1] != 'running':
            raise to.Fail(f'c on {host}: {states}')
    if re.search(r'\[c\] tick \d+ csum \w+ BAD', src.text() + dst.text()):
        raise src.Fail('a checksum went bad')


def linux(src, dst, budget=LINUX_BUDGET_S):
    src.wait(r'\[l\] migrate: loop 3$', timeout=src.timeout)
    t0 = time.monotonic()
    src.cmd('migrate', vm='l', to='b')
    until = time.monotonic() + budget
    q = src.cmd('query-migrate', vm='l')
    retransmits = q.get('retransmits')  # reported while the link is open
    while q.get('status') == 'active' and time.monotonic() < until:
        time.sleep(2)
        q = src.cmd('query-migrate', vm='l')
        retransmits = q.get('retransmits', retransmits)
    if q.get('status') == 'active':
        raise SKIP[0](f'too slow: after {q["total-time-ms"] // 1000} s, round '
                      f'{q["round"]}, {q["pages-sent"]} pages of {q["ram-pages"]} sent at '
                      f'{q["bandwidth-kib"]} KiB/s with {q.get("retransmits")} frames '
                      'retransmitted (the link between two emulated machines)')
    if q.get('status') != 'completed':
        raise src.Fail(f'query-migrate: {q}')
    mark = dst.wait(r'vm l: migrated in').end()
    dst.wait(r'\[l\] migrate: loop \d+$', after=mark)
    dst.cmd('console', vm='l')  # keel-run types 'go' on the peer's console when it is logged
    dst.wait(r'\[l\] migrate: answered \[go\]', after=mark)
    print(f'migrate/linux: {q["round"]} rounds, {q["pages-sent"]} pages, '
          f'{q["total-time-ms"]} ms (source\'s clock; {time.monotonic() - t0:.0f} s wall to '
          f'the answer), downtime {q["downtime-ms"]} ms, at least {retransmits} frames retransmitted')


def peer_killed(src, dst):
    dst.wait(r'miglink: on the host NIC')  # the peer up (a loaded machine boots it late)
    # A tick every 2 ms: once all 1024 pages of its area were written, round 1 alone takes most
    # of a second (4 MiB over the link), and the pages written meanwhile keep the migration
    # going, up to its 30 rounds (1.05 s in all on a fast machine, where a kill 1 s after the
    # start came after the end): the peer dies early in round 1.
    src.wait(r'\[c\] tick 1030 csum')
    src.cmd('migrate', vm='c', to='b', **{'downtime-ms': 0})
    dst.wait(r'vm c: migration in')
    time.sleep(0.1)
    dst.kill()
    q = wait_status(src, 'c')
    if q.get('status') != 'failed' or not q.get('reason'):
        raise src.Fail(f'query-migrate: {q}')
    mark = len(src.text())
    n = ticks(src.text(), 'c')[-1][0]
    src.wait(rf'\[c\] tick {n + 3} csum [0-9a-f]{{8}} ok$', after=mark)
    vms = {v['name']: v['state'] for v in src.cmd('query-vms')}
    if vms.get('c') != 'running':
        raise src.Fail(f'the VM is {vms.get("c")} on the source')


def wrong_key(src, dst):
    dst.wait(r'miglink: on the host NIC')  # the peer up: its refusal is what is checked
    src.wait(r'\[c\] tick 3 csum')
    src.cmd('migrate', vm='c', to='b')
    q = wait_status(src, 'c')
    if q.get('status') != 'failed':
        raise src.Fail(f'query-migrate: {q}')
    mark = len(src.text())
    n = ticks(src.text(), 'c')[-1][0]
    src.wait(rf'\[c\] tick {n + 3} csum [0-9a-f]{{8}} ok$', after=mark)
    if 'migration in' in dst.text():
        raise dst.Fail('the peer built a VM for a stream with the wrong key')
    dst.wait(r'error: miglink: refused a stream from a: wrong key')


def define(boot, Fail):
    g = boot.__globals__  # tests/run's helpers: TESTS, Test, need, log_path, KEEL_RUN
    SKIP.append(boot.Skip)

    def test(name, vms, script, timeout=300, cost=6, pre=None, long=False, **kw):
        def fn():
            g['need'](*(['bochs', 'setpriv', 'unshare', 'nsenter', 'ip'] if kw.get('emu') else
                        ['qemu-system-x86_64']))
            if kw.get('emu'):
                import suite_uplink
                suite_uplink.wire_check(boot.Skip)
            if pre:
                pre()
            src, dst = pair(g, Fail, name, vms, timeout, **kw)
            try:
                script(src, dst)
            finally:
                src.kill()
                dst.kill()
            for run in (src, dst):
                m = re.search(r'error: panic|error: exception|\] BAD$', run.text(), re.M)
                if m:
                    raise Fail(f'{run.log}: {m.group(0)!r}')
        g['TESTS'].append(g['Test'](name, fn, cost, long))

    c = [f'{COUNTER} vm=c mem=64M']
    test('migrate/counter[svm]', c, counter)
    test('migrate/clone[svm]', c, clone)
    test('migrate/there-and-back[svm]', c, there_and_back)
    test('migrate/peer-killed[svm]', [f'{COUNTER} vm=c mem=64M cmdline="period=2"'], peer_killed)
    test('migrate/wrong-key[svm]', c, wrong_key, dst_key=OTHER_KEY)
    test('migrate/linux[svm]', ['--mem', '512M', *linux_vm('l', args='keel.test=migrate')],
         linux, timeout=400, cost=15, pre=lambda: have_linux(boot.Skip),
         dst_extra=('--mem', '512M', '--send', r'console: input goes to vm l=go\r'))
    test('migrate/counter[vmx]', [f'{COUNTER} vm=c mem=16M'], counter, timeout=280,
         emu=('--emulator', 'bochs'))
    # Two Bochs Linux boots (make test-long): the idle destination's clock runs ahead of the
    # busy source's, which the link's liveness must not take for a dead peer.
    test('migrate/linux[vmx]', ['--mem', '512M', *linux_vm('l', args='keel.test=migrate')],
         lambda s, d: linux(s, d, budget=600), timeout=900, cost=40, long=True,
         pre=lambda: have_linux(boot.Skip),
         dst_extra=('--mem', '512M', '--send', r'console: input goes to vm l=go\r'),
         emu=('--emulator', 'bochs'))
    test('migrate/peer-killed[vmx]', [f'{COUNTER} vm=c mem=16M cmdline="period=2"'],
         peer_killed, timeout=280, emu=('--emulator', 'bochs'))
    test('migrate/wrong-key[vmx]', [f'{COUNTER} vm=c mem=16M'], wrong_key, timeout=280,
         dst_key=OTHER_KEY, emu=('--emulator', 'bochs'))
