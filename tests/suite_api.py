"""The management API (issue 15, item 1, and item 5's bad input): keel's COM2 as a Unix socket
(keel-run --api), driven by tools/keel-ctl's Client from a thread while keel runs, on both
backends. VM h (the counter guest) ends after 40 ticks, VM s (spin) keeps the run going until the session destroys it
(a fixed window fails on a loaded machine).
keel's prompt on COM1 lists the same commands."""
import importlib.machinery
import json
import os
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUESTS = os.path.join(ROOT, 'build', 'guests')
BOCHS = ['--emulator', 'bochs']


def keel_ctl():
    return importlib.machinery.SourceFileLoader(
        'keel_ctl', os.path.join(ROOT, 'tools', 'keel-ctl')).load_module()


def session(path, errors, timeout):
    """The client's side: every check that fails adds a line to errors."""
    def want(cond, what):
        if not cond:
            errors.append(what)

    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            errors.append('no API socket')
            return
        time.sleep(0.05)
    time.sleep(0.2)  # QEMU listens just after it creates the socket
    ctl = keel_ctl()
    with ctl.Client(path, timeout=timeout) as c:
        want(c.greeting and c.greeting['QMP']['version'].get('keel'), f'greeting {c.greeting}')
        # A new hello: the greeting again, and negotiation is needed again.
        c.sock.sendall(b'\n')
        r = c.send({'execute': 'query-vms'})
        want(r and r.get('error', {}).get('class') == 'CommandNotFound' and
             'qmp_capabilities' in r['error']['desc'], f'before negotiation: {r}')
        r = c.send({'execute': 'qmp_capabilities', 'id': {'n': [1, 'x']}})
        want(r == {'return': {}, 'id': {'n': [1, 'x']}}, f'qmp_capabilities: {r}')
        r = c.command('query-vms')
        vms = {v['name']: v for v in r.get('return', [])} if r else {}
        want(set(vms) == {'h', 's'}, f'query-vms: {r}')
        for v in vms.values():
            for k in ('id', 'state', 'vcpus', 'memory', 'cpu-time-ns', 'exits'):
                want(k in v, f'query-vms lacks {k}: {v}')
        want(vms.get('s', {}).get('state') == 'running', f'vm s: {vms.get("s")}')
        want(vms.get('h', {}).get('memory') == 16 << 20, f'vm h memory: {vms.get("h")}')
        want(vms.get('s', {}).get('memory') == 8 << 20, f'vm s memory: {vms.get("s")}')
        want('io' in vms.get('s', {}).get('exits', {}), 'exits by kind')

        def error(r, cls, words):
            return r and r.get('error', {}).get('class') == cls and words in r['error']['desc']
        r = c.command('no-such-command')
        want(error(r, 'CommandNotFound', 'no-such-command'), f'unknown command: {r}')
        for bad in ('{"execute": "query-vms"', '{"execute": query-vms}', 'hello',
                    '{"execute": "query-vms"} trailing', '{"execute": "q\\x"}'):
            r = c.send(bad)
            want(error(r, 'GenericError', ''), f'malformed {bad!r}: {r}')
        r = c.send('{"execute": "query-vms", "id": 7, "arguments": [1]}')
        want(error(r, 'GenericError', 'arguments') and r.get('id') == 7, f'bad arguments: {r}')
        r = c.send('{"execute": "query-vms", "id": 8, "x": ' + '1' * 5000 + '}')
        want(error(r, 'GenericError', 'longer'), f'long line: {r}')
        r = c.command('console')
        want(error(r, 'GenericError', "missing argument 'vm'"), f'missing argument: {r}')
        r = c.command('nmi', vm='nope')
        want(error(r, 'GenericError', "no VM named 'nope'"), f'missing VM: {r}')
        r = c.command('nmi', vm=5)
        want(error(r, 'GenericError', 'must be a string'), f'non-string vm: {r}')
        r = c.command('help')
        names = [x['name'] for x in r.get('return', [])] if r else []
        want('query-vms' in names and 'snapshot-save' in names, f'help: {r}')
        ev = c.wait_event('SHUTDOWN', timeout=timeout, vm='h')
        want(ev and ev['data'].get('reason') == 'guest-exit' and ev['data'].get('status') == 0
             and 'seconds' in ev.get('timestamp', {}), f'SHUTDOWN of h: {ev} {c.events}')
        r = c.command('query-vms')
        h = [v for v in r.get('return', []) if v['name'] == 'h'] if r else []
        want(h and h[0]['state'] == 'ended' and h[0].get('end') == 'guest-exit', f'h: {r}')
        # s spins long enough for a slow (loaded) machine: the session ends it, and with it
        # keel's run (its last VM), so neither the reply nor a SHUTDOWN event may come; the
        # log shows it (expect).
        try:
            c.command('vm-destroy', vm='s', timeout=10)
        except ConnectionError:
            pass


def define(boot, Fail):
    def both(name, bochs_timeout=300):
        # s spins for ms of its TSC, far longer than the session needs (Bochs writes and
        # reads at the line rate of its virtual time, and keel-run paces what is sent to it):
        # the session destroys it when done.
        for tag, args, timeout, cost, ms in (('svm', [], 90, 3, 600000),
                                             ('vmx', BOCHS, bochs_timeout, 15, 600000)):
            sock = os.path.join(tempfile.gettempdir(), f'keel-api-{os.getpid()}-{tag}.sock')
            state = {}

            def pre(sock=sock, state=state, timeout=timeout):
                errors = []
                t = threading.Thread(target=lambda: session_guarded(sock, errors, timeout),
                                     daemon=True)
                state['t'], state['errors'] = t, errors
                t.start()

            def check(text, state=state):
                state['t'].join(60)
                if state['t'].is_alive():
                    raise Fail('the client did not finish')
                if state['errors']:
                    raise Fail('\n'.join(state['errors'][:8]))

            boot(f'{name}[{tag}]', *args, '--api', sock,
                 '--send', r'console: input goes to vm h=\x01khelp\r',
                 # h ends after 4 s of ticks, once the client is there to see the event
                 f'{GUESTS}/counter.elf vm=h mem=16M cmdline="ticks=40"',
                 f'{GUESTS}/spin.elf vm=s mem=8M cmdline="ms={ms}"',
                 timeout=timeout, cost=cost, pre=pre, check=check,
                 needs=['grub-mkrescue'] if tag == 'vmx' else [],
                 expect=[r'api: management API on UART 0x2f8 by interrupt',
                         r'keel:   query-vms +\S', r'keel:   snapshot-save',
                         r'vm s: destroyed', r'keel: end of run, status'])

    def session_guarded(sock, errors, timeout):
        try:
            session(sock, errors, timeout)
        except Exception as e:  # noqa: BLE001 -- any client failure is the test's
            errors.append(f'client: {type(e).__name__}: {e}')

    both('api/session')
