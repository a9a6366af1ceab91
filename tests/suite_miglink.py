"""keel's link between keels (issue 17, README "Live migration"'s transport): two keels in QEMU
wired by keel-run's --net-listen/--net-connect on a loopback port, both with incoming=yes and no
VM (k1 has one that ends at once: each runs on until the test ends it), k2 on virtio-net, then
on the e1000. On k2, the test/diagnostic command miglink-test
sends a known pattern to k1 over a test stream and compares k1's SHA-256 of what arrived.
  miglink/key[svm]: the same migrate_key on both: the bytes arrive whole (several hundred
    fragments through the window), also with every 7th data frame lost on purpose (drop=7:
    retransmitted); a host name nobody has gets "no keel answered"; k1 ended in the middle of
    a stream gets "the peer stopped answering".
  miglink/wrong-key[svm]: different keys: k1 refuses the HELLO with a log line, and k2's
    miglink-test fails because no keel answered.
  miglink/key[vmx]: two Bochs machines (VT-x) on keel-run's wire (README "Two Bochs machines on
    one wire"): 20000 bytes arrive whole, and a host name nobody has gets "no keel answered"."""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
HELLO = os.path.join(ROOT, 'build', 'guests', 'hello.elf')
KEY1 = '00112233445566778899aabbccddeeff0123456789abcdef'
KEY2 = '00112233445566778899aabbccddeeff0123456789abcdee'


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def client(sock):
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader('keel_ctl', os.path.join(ROOT, 'tools',
                                                                           'keel-ctl'))
    spec = importlib.util.spec_from_loader('keel_ctl', loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod.Client(sock, timeout=120, retry=20)


def read(path):
    try:
        return open(path, encoding='utf-8', errors='replace').read()
    except FileNotFoundError:
        return ''


SKIP = []  # tests/run's Skip, from define


def pair(Fail, g, name, key2, body, model, k1_vms=(), timeout=240, emulator='qemu'):
    """k1 (listening, incoming=yes host=k1 migrate_key=KEY1, with k1_vms) and k2 (connecting,
    with the API on a socket and migrate_key=key2), both on NIC model; body(client, logs,
    procs) once both are on the link."""
    def fn():
        g['need'](*(['qemu-system-x86_64'] if emulator == 'qemu' else
                    ['bochs', 'setpriv', 'unshare', 'nsenter', 'ip']))
        if emulator != 'qemu':
            import suite_uplink
            suite_uplink.wire_check(SKIP[0])
        port = free_port()
        tag = re.sub(r'[^a-z0-9]+', '-', name)  # tests run side by side in one process
        sock = os.path.join(tempfile.gettempdir(), f'keel-miglink-{os.getpid()}-{tag}.sock')
        logs = [g['log_path'](f'{name}-k{n}') for n in (1, 2)]
        for p in logs + [sock]:
            if os.path.exists(p):
                os.unlink(p)

        def start(end, n, key, extra, vms=()):
            cmd = [g['KEEL_RUN'], '--quiet', '--log', logs[n - 1], '--timeout', str(timeout),
                   '--emulator', emulator, f'--net-{end}', f'127.0.0.1:{port}',
                   '--nic-model', model, *extra,
                   '--cmdline', f'host=k{n} incoming=yes migrate_key={key}', *vms]
            return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, encoding='utf-8', errors='replace')

        def wait_for(i, pat):
            until = time.monotonic() + (90 if emulator == 'qemu' else 150)
            while not re.search(pat, read(logs[i]), re.M):
                if procs[i].poll() is not None:
                    raise Fail(f'keel k{i + 1} ended: {read(logs[i])[-800:]}')
                if time.monotonic() > until:
                    raise Fail(f'keel k{i + 1} log lacks /{pat}/')
                time.sleep(0.2)

        procs = [start('listen', 1, KEY1, [], k1_vms)]
        try:
            wait_for(0, r'miglink: on the host NIC')
            procs.append(start('connect', 2, key2, ['--api', sock]))
            wait_for(1, r'miglink: on the host NIC')
            wait_for(1, r'api: management API')
            with client(sock) as c:
                body(c, [lambda i=i: read(logs[i]) for i in (0, 1)], procs)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for i in (0, 1):
            m = re.search(r'error: panic|error: exception|keel: end of run', read(logs[i]), re.M)
            if m:
                raise Fail(f'keel k{i + 1} log has {m.group(0)!r}')
    g['TESTS'].append(g['Test'](name, fn, 4))


def define(boot, Fail):
    SKIP.append(boot.Skip)
    g = boot.__globals__  # tests/run's helpers: TESTS, Test, need, log_path, KEEL_RUN

    def right_key(c, logs, procs):
        # k1's VM ended, and k1 runs on (incoming=yes)
        for pat in (r'vm h: exited with status 0', r'keel: no VM left; waiting for incoming migrations'):
            if not re.search(pat, logs[0](), re.M):
                raise Fail(f'k1 log lacks /{pat}/')
        r = c.command('miglink-test', to='k1', bytes=600000, timeout=120)
        if not r or 'return' not in r:
            raise Fail(f'miglink-test to k1: {r}')
        v = r['return']
        if not v.get('match') or v.get('peer_bytes') != 600000:
            raise Fail(f'miglink-test to k1: the peer got other bytes: {v}')
        if not re.search(r'miglink: test stream \S+ from k2: 600000 bytes in', logs[0](), re.M):
            raise Fail('k1 log lacks its test stream')
        # every 7th data frame lost on k2's side: go-back-N sends them again
        r = c.command('miglink-test', to='k1', bytes=300000, drop=7, timeout=120)
        v = (r or {}).get('return', {})
        if not v.get('match') or not v.get('retransmits'):
            raise Fail(f'miglink-test drop=7: {r}')
        r = c.command('miglink-test', to='nobody', bytes=10, timeout=120)
        if not r or 'error' not in r or 'no keel answered' not in r['error'].get('desc', ''):
            raise Fail(f'miglink-test to nobody: {r}')
        # k1 gone in the middle of a stream: k2 says so within its retry limit
        threading.Timer(3.0, lambda: procs[0].send_signal(signal.SIGTERM)).start()
        r = c.command('miglink-test', to='k1', bytes=400000000, timeout=150)
        desc = (r or {}).get('error', {}).get('desc', '')
        if 'the peer stopped answering' not in desc:
            raise Fail(f'miglink-test to a keel that went away: {r}')

    def wrong_key(c, logs, procs):
        r = c.command('miglink-test', to='k1', bytes=1000, timeout=120)
        if not r or 'error' not in r or 'no keel answered' not in r['error'].get('desc', ''):
            raise Fail(f'miglink-test with a wrong key: {r}')
        pat = r'error: miglink: refused a stream from k2: wrong key'
        if not re.search(pat, logs[0](), re.M):
            raise Fail(f'k1 log lacks /{pat}/')

    pair(Fail, g, 'miglink/key[svm]', KEY1, right_key, 'virtio', [f'{HELLO} vm=h'])
    pair(Fail, g, 'miglink/wrong-key[svm]', KEY2, wrong_key, 'e1000')

    def bochs_key(c, logs, procs):
        r = c.command('miglink-test', to='k1', bytes=20000, timeout=150)
        v = (r or {}).get('return', {})
        if not v.get('match') or v.get('peer_bytes') != 20000:
            raise Fail(f'miglink-test to k1: {r}')
        r = c.command('miglink-test', to='nobody', bytes=10, timeout=150)
        if not r or 'error' not in r or 'no keel answered' not in r['error'].get('desc', ''):
            raise Fail(f'miglink-test to nobody: {r}')
    pair(Fail, g, 'miglink/key[vmx]', KEY1, bochs_key, 'e1000', timeout=200, emulator='bochs')
