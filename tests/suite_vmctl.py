"""Controlling VMs through the management API (issue 15, item 2): stop and cont (a paused
counter stops ticking and goes on with the next number; its TSC-based time jumps by the pause),
vm-set (weight, cap and pin as query-stats shows them), vm-start of a VM defined with start=no,
system_reset (the guest starts again), system_powerdown (the guest sees the ACPI power button
and powers off through S5), vm-destroy (a second one is an error, and the VM leaves
query-stats), and the errors for a VM in the wrong state.

Each test boots keel with `tools/keel-run --api SOCKET` in the background and drives it with
`tools/keel-ctl SOCKET CMD key=value ...` (exit 0 with the JSON reply on stdout, 1 on an error),
watching keel's serial log for the guests' lines (tests/guests/counter.c). Both backends:
vmctl/NAME[svm] in QEMU TCG, vmctl/NAME[vmx] in Bochs."""
import json
import os
import re
import signal
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COUNTER = os.path.join(ROOT, 'build', 'guests', 'counter.elf')
KEEL_CTL = os.path.join(ROOT, 'tools', 'keel-ctl')
BOCHS = ['--emulator', 'bochs']
END0 = r'keel: end of run, status 0'


class Run:
    """keel running in the background with its API on a Unix socket, and its serial log."""

    def __init__(self, g, name, args, timeout, Fail, sock=None, sock_opt='--api'):
        """sock_opt SOCK: keel-run's option that serves a UART on a Unix socket (the API; the
        gdb stub's --gdb-guest in suite_gdb), by default at the log's path with .sock."""
        self.Fail, self.timeout = Fail, timeout
        self.log = g['log_path'](name)
        self.sock = sock or self.log[:-4] + '.sock'
        for p in (self.log, self.sock):
            if os.path.exists(p):
                os.unlink(p)
        cmd = [g['KEEL_RUN'], '--quiet', '--log', self.log, '--timeout', str(timeout),
               sock_opt, self.sock] + list(args)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, encoding='utf-8', errors='replace')
        self.start = time.monotonic()

    def text(self):
        try:
            return open(self.log, encoding='utf-8', errors='replace').read()
        except FileNotFoundError:
            return ''

    def wait(self, pattern, after=0, timeout=None):
        """Wait for pattern in the log after position after: the match."""
        until = time.monotonic() + (timeout or self.timeout)
        rx = re.compile(pattern, re.M)
        while time.monotonic() < until:
            m = rx.search(self.text(), after)
            if m:
                return m
            if self.proc.poll() is not None:
                m = rx.search(self.text(), after)
                if m:
                    return m
                raise self.Fail(f'keel ended (status {self.proc.returncode}) before /{pattern}/')
            time.sleep(0.1)
        raise self.Fail(f'no /{pattern}/ in the log within {timeout or self.timeout} s')

    def cmd(self, command, ok=True, **args):
        """One command through keel-ctl: its return value (ok) or its error's text (not ok)."""
        while not os.path.exists(self.sock):
            if time.monotonic() - self.start > 60:
                raise self.Fail(f'keel-run made no API socket {self.sock}')
            time.sleep(0.1)
        argv = [KEEL_CTL, self.sock, command] + [f'{k}={v}' for k, v in args.items()]
        # keel-ctl prints the reply on stdout and the events it read on stderr
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=120)
        with open(self.log[:-4] + '.ctl.log', 'a', encoding='utf-8') as f:
            f.write(f'$ {" ".join(argv[2:])}\n{r.stderr}{r.stdout}(exit {r.returncode})\n')
        if ok and r.returncode != 0:
            raise self.Fail(f'{command} {args} failed: {r.stdout.strip()}')
        if not ok and r.returncode == 0:
            raise self.Fail(f'{command} {args} succeeded, expected an error: {r.stdout.strip()}')
        if not ok:
            return r.stdout
        try:
            reply = json.loads(r.stdout)
        except ValueError:
            return r.stdout
        return reply.get('return', reply) if isinstance(reply, dict) else reply

    def stats(self, vm):
        s = self.cmd('query-stats')
        return next((v for v in s['vms'] if v['name'] == vm), None)

    def finish(self, status=0):
        try:
            self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise self.Fail('keel did not end')
        if self.proc.returncode != status:
            raise self.Fail(f'run status {self.proc.returncode}, expected {status}')

    def kill(self):
        """End keel-run and its emulator: keel-run starts it in a session of its own, which a
        SIGKILL to keel-run would leave running."""
        if self.proc.poll() is None:
            try:
                with open(f'/proc/{self.proc.pid}/task/{self.proc.pid}/children') as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                kids = []
            for k in kids:
                try:
                    os.killpg(k, signal.SIGKILL)
                except OSError:
                    pass
            self.proc.kill()
            self.proc.wait()


def ticks(text, vm, after=0):
    return [int(n) for n in re.findall(rf'^\[[^]]*\] \[{vm}\] tick (\d+) csum', text[after:],
                                       re.M)]


def api_test(boot, Fail, name, args, script, timeout, bochs, pre=None, cost=None):
    """A test that runs keel with its API and hands the run to script(run); pre() first (it
    may raise Skip)."""
    g = boot.__globals__  # tests/run's helpers: TESTS, Test, need, log_path, KEEL_RUN

    def fn():
        g['need'](*(('bochs', 'grub-mkrescue') if bochs else ('qemu-system-x86_64',)))
        if not os.path.exists(KEEL_CTL):
            raise boot.Skip('tools/keel-ctl is missing')
        if pre:
            pre()
        run = Run(g, name, (BOCHS if bochs else []) + list(args), timeout, Fail)
        try:
            script(run)
        finally:
            run.kill()
        text = run.text()
        for bad in (r'error: panic', r'error: exception', r'\] BAD$'):
            m = re.search(bad, text, re.M)
            if m:
                raise Fail(f'log has /{bad}/: {m.group(0)!r}')
    g['TESTS'].append(g['Test'](name, fn, cost or (12 if bochs else 2)))


def both(boot, Fail, name, args, script, timeout=120, bochs_timeout=400):
    api_test(boot, Fail, f'{name}[svm]', args, script, timeout, False)
    api_test(boot, Fail, f'{name}[vmx]', args, script, bochs_timeout, True)


def pause_resume(run):
    """stop: no tick for 2 s (of the wall's and of keel's clock); cont: the next tick is the
    next number, after a `gap` line that shows the guest's TSC moved on by the pause; a second
    stop or cont is an error; the power button then ends the run."""
    run.wait(r'\[c\] tick 3 csum')
    run.cmd('stop', vm='c')
    stopped = run.wait(r'vm c: paused').end()
    time.sleep(0.5)  # a line already on its way through the UART
    before = ticks(run.text(), 'c')
    assert_true(run, run.stats('c')['paused'], 'query-stats says c is paused')
    run.cmd('stop', ok=False, vm='c')
    # 2 s of wall time and 2 s of keel's clock (an emulator's runs slower than the wall's)
    t0 = uptime_ns(run)
    time.sleep(2)
    until = time.monotonic() + run.timeout / 2
    while uptime_ns(run) < t0 + 2_000_000_000:
        if time.monotonic() > until:
            raise run.Fail("keel's clock did not move 2 s on while paused")
        time.sleep(0.5)
    after = ticks(run.text(), 'c')
    if after != before:
        raise run.Fail(f'c ticked while paused: {after[len(before):]}')
    mark = len(run.text())
    run.cmd('cont', vm='c')
    run.cmd('cont', ok=False, vm='c')
    # The gap shows before the first tick after cont, or before the second when the pause
    # caught the guest between its gap check and its tick line.
    m = run.wait(rf'\[c\] tick {before[-1] + 2} csum [0-9a-f]{{8}} ok', after=mark)
    gap = re.search(r'\[c\] gap (\d+) ms', run.text()[mark:m.start()])
    if not gap or int(gap.group(1)) < 2000:
        raise run.Fail(f'no gap of 2000 ms or more before the second tick after cont: {gap}')
    got = ticks(run.text(), 'c', stopped)
    if got[:2] != [before[-1] + 1, before[-1] + 2]:
        raise run.Fail(f'ticks after cont do not go on from {before[-1]}: {got[:4]}')
    run.cmd('system_powerdown', vm='c')
    run.wait(r'\[c\] power button')
    run.wait(r'vm c: powered off by the guest')
    run.finish(0)


def uptime_ns(run):
    """How long keel's CPU 0 has scheduled, by keel's clock (query-stats: busy + idle)."""
    cpu = run.cmd('query-stats')['cpus'][0]
    return cpu['busy-ns'] + cpu['idle-ns']


def assert_true(run, cond, what):
    if not cond:
        raise run.Fail(f'expected: {what}')


def life(run):
    """vm-set, vm-start, system_reset, system_powerdown, vm-destroy and the wrong-state errors,
    with three counters: c runs, d waits for vm-start, e is destroyed."""
    run.wait(r'\[c\] tick 2 csum')
    if ticks(run.text(), 'd'):
        raise run.Fail('d (start=no) ran before vm-start')
    # live scheduling changes, as query-stats shows them
    run.cmd('vm-set', vm='c', weight=512, cap=50, pin='0')
    s = run.stats('c')
    assert_true(run, (s['weight'], s['cap'], s['pin']) == (512, 50, 1),
                f'weight 512, cap 50, pin 1 in {s}')
    run.cmd('vm-set', ok=False, vm='c', weight=0)
    run.cmd('vm-set', ok=False, vm='c', pin='5-7')  # no such CPU online
    assert_true(run, run.stats('c')['weight'] == 512, 'a refused vm-set changes nothing')
    for k in ('run-time-ns', 'steal-time-ns', 'exits-per-second'):
        assert_true(run, k in s, f'{k} in query-stats')
    assert_true(run, run.cmd('query-stats')['cpus'][0]['idle-ns'] > 0, 'CPU 0 has idled')
    # start=no, then vm-start
    run.cmd('vm-start', vm='d')
    run.wait(r'\[d\] tick 1 csum')
    run.cmd('vm-start', ok=False, vm='d')
    # system_reset: the guest starts again from tick 1
    mark = len(run.text())
    run.cmd('system_reset', vm='c')
    run.wait(r'\[c\] counter: TSC', after=mark)
    run.wait(r'\[c\] tick 1 csum [0-9a-f]{8} ok', after=mark)
    # vm-destroy: once, then an error; it leaves query-stats; commands on it fail
    run.cmd('vm-destroy', vm='e')
    run.cmd('vm-destroy', ok=False, vm='e')
    run.cmd('stop', ok=False, vm='e')
    assert_true(run, run.stats('e') is None, 'a destroyed VM is not in query-stats')
    run.cmd('stop', ok=False, vm='nosuchvm')
    # the power button ends d, then c; the run ends with status 0
    run.cmd('system_powerdown', vm='d')
    run.wait(r'\[d\] power button')
    run.wait(r'vm d: powered off by the guest')
    run.cmd('system_powerdown', ok=False, vm='d')
    run.cmd('system_powerdown', vm='c')
    run.wait(r'vm c: powered off by the guest')
    run.finish(0)
    text = run.text()
    assert_true(run, re.search(r'summary: vm e: destroyed', text), 'e is destroyed in the summary')


def paused_reset(run):
    """A reset while paused: the VM restarts but stays paused until cont."""
    run.wait(r'\[c\] tick 2 csum')
    run.cmd('stop', vm='c')
    mark = len(run.text())
    run.cmd('system_reset', vm='c')
    t0 = uptime_ns(run)
    time.sleep(2)
    until = time.monotonic() + run.timeout / 2
    while uptime_ns(run) < t0 + 1_000_000_000 and time.monotonic() < until:
        time.sleep(0.5)
    if ticks(run.text(), 'c', mark) or '[c] counter:' in run.text()[mark:]:
        raise run.Fail('c ran while paused after system_reset')
    run.cmd('cont', vm='c')
    run.wait(r'\[c\] tick 1 csum [0-9a-f]{8} ok', after=mark)
    run.cmd('system_powerdown', vm='c')
    run.wait(r'vm c: powered off by the guest')
    run.finish(0)


def define(boot, Fail):
    c = f'{COUNTER} vm=c mem=16M'
    both(boot, Fail, 'vmctl/pause', [c], pause_resume)
    both(boot, Fail, 'vmctl/life', [c, f'{COUNTER} vm=d mem=16M start=no',
                                    f'{COUNTER} vm=e mem=16M'], life)
    both(boot, Fail, 'vmctl/paused-reset', [c], paused_reset)
