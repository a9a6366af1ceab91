"""Switches joined across keels (issue 17, items 1, 2 and 4's keel-run options): two keels in
QEMU, wired by keel-run's --net-listen/--net-connect on a free loopback port (QEMU's socket
backend on 127.0.0.1), each with uplink=lan and one netpeer guest on switch lan
(tests/guests/netpeer.c): each guest hears the other's ping and has its own answered, through
both keels' host NIC drivers, once with virtio-net-pci and once with the e1000. Also: an uplink
to a switch no VM uses, and an uplink with no host NIC, are logged and change nothing else.
uplink/bochs[vmx]: the same with the e1000 on two Bochs machines (VT-x), wired by keel-run as a
bridge of two taps in a private network namespace (README "Two Bochs machines on one wire")."""
import os
import re
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER = os.path.join(ROOT, 'build', 'guests', 'netpeer.elf')
HELLO = os.path.join(ROOT, 'build', 'guests', 'hello.elf')


def mac(n):
    return f'02:00:00:00:0b:{n:02x}'


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def peer_vm(n):
    return f'{PEER} vm=p{n} mem=16M net=lan mac={mac(n)} cmdline="wait=150"'


def pair(boot, Fail, model, timeout=200, emulator='qemu', machine='pc', name=None):
    """Two keels, a listening one and a connecting one, each with a netpeer on switch lan, on
    QEMU's machine `machine` (q35: host PCI configuration through ECAM, which keel must say)."""
    g = boot.__globals__  # tests/run's helpers: TESTS, Test, need, log_path, KEEL_RUN
    name = name or (f'uplink/{model}[svm]' if emulator == 'qemu' else f'uplink/{emulator}[vmx]')
    pci = r'ECAM \(ACPI MCFG\)' if machine == 'q35' else r'ports 0xcf8/0xcfc'

    def start(end, n, port, log):
        cmd = [g['KEEL_RUN'], '--emulator', emulator, '--quiet', '--log', log, '--timeout',
               str(timeout), *(['--machine', machine] if emulator == 'qemu' else []),
               f'--net-{end}', f'127.0.0.1:{port}', '--nic-model', model,
               '--cmdline', f'uplink=lan host=k{n}', peer_vm(n)]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, encoding='utf-8', errors='replace')

    def read(path):
        try:
            return open(path, encoding='utf-8', errors='replace').read()
        except FileNotFoundError:
            return ''

    def check(text, n, other):
        drv = 'virtio-net' if model == 'virtio' else 'e1000'
        for pat in (rf'hpci: \d+ host PCI functions? through {pci}', rf'keel: host name k{n}',
                    rf'uplink: switch lan on host NIC {drv} ',
                    rf'\[p{n}\] PASS: heard a ping from {mac(other)}',
                    rf'\[p{n}\] PASS: ping answered by {mac(other)}',
                    rf'\[p{n}\] PASSED', r'summary: switch lan port uplink: ',
                    r'keel: end of run, status 0'):
            if not re.search(pat, text, re.M):
                raise Fail(f'keel k{n} log lacks /{pat}/')
        for bad in (r'error: panic', r'error: exception', r'FAIL'):
            m = re.search(bad, text, re.M)
            if m:
                raise Fail(f'keel k{n} log has /{bad}/: {m.group(0)!r}')

    def fn():
        g['need'](*(['qemu-system-x86_64'] if emulator == 'qemu' else
                    ['bochs', 'setpriv', 'unshare', 'nsenter', 'ip']))
        if emulator != 'qemu':
            wire_check(boot.Skip)
        port = free_port()
        logs = [g['log_path'](f'{name}-k{n}') for n in (1, 2)]
        for p in logs:
            if os.path.exists(p):
                os.unlink(p)
        procs = [start('listen', 1, port, logs[0])]
        try:
            until = time.monotonic() + 60  # the wire is there before keel's first line
            while 'keel ' not in read(logs[0]) and time.monotonic() < until:
                if procs[0].poll() is not None:
                    raise Fail(f'the listening keel-run ended: {procs[0].stdout.read()[-500:]}')
                time.sleep(0.2)
            procs.append(start('connect', 2, port, logs[1]))
            for p in procs:
                p.wait(timeout + 60)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        check(read(logs[0]), 1, 2)
        check(read(logs[1]), 2, 1)
    g['TESTS'].append(g['Test'](name, fn, 4))


def wire_check(Skip):
    """SKIP, with the reason, where keel-run cannot make the wire between two Bochs here: a
    network namespace (root), or a user namespace to own one (anyone else)."""
    cmd = ['unshare', '--net', 'true'] if os.geteuid() == 0 else [
        'unshare', '--user', '--map-root-user', '--net', 'true']
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise Skip(f'no network namespace for the Bochs wire ({" ".join(cmd)}): '
                   f'{r.stderr.strip()}')


def define(boot, Fail):
    pair(boot, Fail, 'virtio')
    pair(boot, Fail, 'e1000')
    pair(boot, Fail, 'e1000', emulator='bochs')
    # QEMU's q35 (ICH9, PCIe): the host NIC found and driven through ECAM, as ACPI's MCFG says.
    pair(boot, Fail, 'virtio', machine='q35', name='uplink/ecam[svm]')
    # A switch no VM uses, and no host NIC: each a log line, and the VM runs as before.
    boot('uplink/no-switch[svm]', '--net-listen', f'127.0.0.1:{free_port()}', '--cmdline',
         'uplink=wan', f'{HELLO} vm=h net=lan',
         expect=[r'error: uplink: no VM uses switch wan: no uplink', r'\[h\] ',
                 r'keel: end of run, status 0'],
         reject=[r'hnic: ', r'error: panic'])
    boot('uplink/no-nic[svm]', '--cmdline', 'uplink=lan host=solo', f'{HELLO} vm=h net=lan',
         expect=[r'keel: host name solo',
                 r'error: uplink: no host NIC found .*: switch lan stays inside this keel',
                 r'\[h\] ', r'keel: end of run, status 0'],
         reject=[r'error: panic'])
