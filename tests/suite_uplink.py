"""Switches joined across keels (issue 17, items 1, 2 and 4's keel-run options): two keels in
QEMU, wired by keel-run's --net-listen/--net-connect on a free loopback port (QEMU's socket
backend on 127.0.0.1), each with uplink=lan and one netpeer guest on switch lan
(tests/guests/netpeer.c): each guest hears the other's ping and has its own answered, through
both keels' host NIC drivers, once with virtio-net-pci and once with the e1000. Also: an uplink
to a switch no VM uses, and an uplink with no host NIC, are logged and change nothing else.
uplink/bochs[vmx]: the same on two Bochs machines (VT-x), their e1000s on keel-run's bxhub in a
private network namespace (README "Networks"): each guest hears the other's broadcast ping.
Bochs' eth_socket passes on only frames addressed to its own NIC's MAC or broadcast, so the
answers (to the other guest's MAC) never arrive: the test ends both keels once the pings are
heard. It also checks with ss that no UDP socket of the wire is on this machine's own network."""
import os
import re
import signal
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


def pair(boot, Fail, model, timeout=200):
    """Two keels, a listening one and a connecting one, each with a netpeer on switch lan."""
    g = boot.__globals__  # tests/run's helpers: TESTS, Test, need, log_path, KEEL_RUN
    name = f'uplink/{model}[svm]'

    def start(end, n, port, log):
        cmd = [g['KEEL_RUN'], '--quiet', '--log', log, '--timeout', str(timeout),
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
        for pat in (rf'keel: host name k{n}', rf'uplink: switch lan on host NIC {drv} ',
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
        g['need']('qemu-system-x86_64')
        port = free_port()
        logs = [g['log_path'](f'{name}-k{n}') for n in (1, 2)]
        for p in logs:
            if os.path.exists(p):
                os.unlink(p)
        procs = [start('listen', 1, port, logs[0])]
        try:
            until = time.monotonic() + 60  # QEMU listens before keel's first line
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


def define(boot, Fail):
    pair(boot, Fail, 'virtio')
    pair(boot, Fail, 'e1000')
    bochs_pair(boot, Fail)
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


def bochs_pair(boot, Fail, timeout=170):
    """uplink/bochs[vmx]: two Bochs keels on one bxhub, a netpeer each on switch lan; ends once
    both have heard the other's ping (broadcast), since unicast answers are not delivered."""
    g = boot.__globals__
    name = 'uplink/bochs[vmx]'

    def read(path):
        try:
            return open(path, encoding='utf-8', errors='replace').read()
        except FileNotFoundError:
            return ''

    def start(end, n, port, log):
        cmd = [g['KEEL_RUN'], '--emulator', 'bochs', '--quiet', '--log', log, '--timeout',
               str(timeout), f'--net-{end}', f'127.0.0.1:{port}',
               '--cmdline', f'uplink=lan host=k{n}', peer_vm(n)]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, encoding='utf-8', errors='replace')

    def fn():
        g['need']('bochs', 'bxhub', 'unshare', 'nsenter', 'ss')
        port = free_port()
        logs = [g['log_path'](f'{name}-k{n}') for n in (1, 2)]
        for p in logs:
            if os.path.exists(p):
                os.unlink(p)
        procs = [start('listen', 1, port, logs[0])]
        heard = [rf'\[p{n}\] PASS: heard a ping from {mac(3 - n)}' for n in (1, 2)]
        try:
            time.sleep(2)  # the hub's namespace first
            procs.append(start('connect', 2, port, logs[1]))
            until = time.monotonic() + timeout
            while not all(re.search(h, read(p), re.M) for h, p in zip(heard, logs)):
                for i, p in enumerate(procs):
                    if p.poll() is not None:
                        raise Fail(f'keel k{i + 1} ended: {read(logs[i])[-600:]}')
                if time.monotonic() > until:
                    raise Fail('no ping heard across the hub: ' +
                               ' | '.join(read(p)[-300:] for p in logs))
                time.sleep(0.5)
            # the hub's and both Bochs' UDP ports are in keel-run's namespace, not this one
            ss = subprocess.run(['ss', '-uanH'], capture_output=True, text=True).stdout
            for line in ss.splitlines():
                local = line.split()[3] if len(line.split()) > 3 else ''
                if local.rsplit(':', 1)[-1] in {str(port + i) for i in range(4)}:
                    raise Fail(f'a UDP socket of the wire on this machine\'s network: {line}')
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
        for n in (1, 2):
            text = read(logs[n - 1])
            for pat in (rf'keel: host name k{n}', r'uplink: switch lan on host NIC e1000 '
                        rf'52:54:00:4b:00:0{n}'):
                if not re.search(pat, text, re.M):
                    raise Fail(f'keel k{n} log lacks /{pat}/')
            for bad in (r'error: panic', r'error: exception'):
                m = re.search(bad, text, re.M)
                if m:
                    raise Fail(f'keel k{n} log has /{bad}/: {m.group(0)!r}')
    g['TESTS'].append(g['Test'](name, fn, 4))
