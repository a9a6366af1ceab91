"""The scheduler (issue 5): weighted fairness on one and two CPUs, a guest spinning with
interrupts off, 64 VMs at once, a second vCPU started with INIT-SIPI-SIPI, the local APIC timer
of a sleeping guest under load, caps and pinning, and (QEMU only) four host CPUs at once; then
the races of issue 11: sleeping VMs with fast timers (no false stop), YIELD storms on two CPUs,
SIPIs racing a HLT with interrupts off, and the PIT of a VM whose vCPU 0 is parked.

Every test runs on both backends: sched/NAME[svm] in QEMU TCG (AMD-V + NPT) and
sched/NAME[vmx] in Bochs (VT-x + EPT). Bochs runs about 50 M instructions a second, and much
less with two CPUs, so its variants use shorter windows and fewer VMs (each stays near a minute).
No test asserts on absolute time: CPU-bound guests (tests/guests/spin.c) spin over the same
window of the shared TSC and sum the time they saw themselves run in it, so their sums compare
the CPU keel gave each (iterations would also count how fast a loaded host ran the emulator),
and the tests compare those shares with what the weights, caps and CPU count entitle them to.

KEEL_SOAK=N (make soak sets 10) makes every window, count and timeout here N times longer:
the races these tests look for get N times the chances to show."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUESTS = os.path.join(ROOT, 'build', 'guests')
LOGS = os.path.join(ROOT, 'build', 'test-logs')
END0 = r'keel: end of run, status 0'
FAIL_LINE = r'^\[[^]]*\] \[[^]]+\] FAIL'  # a guest's own FAIL line: '[time] [vm] FAIL: ...'
REJECT = [FAIL_LINE, r'error: exception', r'error: panic: ']
SHARE_TOLERANCE = 0.10  # the bar: each VM within 10% (relative) of its fair share
SOAK = max(1, int(os.environ.get('KEEL_SOAK', '1') or 1))  # make soak: 10

# Per backend: keel-run arguments, extra needs, timeout (s), and the knobs that keep Bochs runs
# near a minute: spin windows (ms of guest TSC), how many small VMs, the timer guest's window.
BACKENDS = {
    'svm': {'args': [], 'needs': [], 'timeout': 120, 'cost': 4,
            'fair_ms': {1: 3000, 2: 3000}, 'margin': 300, 'spin_long_ms': 3000, 'many': 64,
            'timer_ms': 500, 'timer_load_ms': 1500, 'cap_ms': 2000, 'pin_ms': 200,
            # The races of issue 11: a window of 100 us ticks, YIELDs per VM, AP starts.
            'storm_ms': 500, 'yields': 20000, 'sipis': 500, 'parked': 50},
    'vmx': {'args': ['--emulator', 'bochs'], 'needs': ['grub-mkrescue'], 'timeout': 300,
            'cost': 30,
            # Two Bochs CPUs run each tick about 6 times slower: a shorter window there.
            'fair_ms': {1: 1000, 2: 500}, 'margin': 50, 'spin_long_ms': 1000,
            # 16 VMs already take Bochs about 45 s with two CPUs (GRUB reads every module
            # from the CD, then each VM is built, run and summarised); 64 would take minutes,
            # and 16 on two CPUs goes through the same paths.
            'many': 16,
            'timer_ms': 200, 'timer_load_ms': 600, 'cap_ms': 1000, 'pin_ms': 100,
            'storm_ms': 100, 'yields': 2000, 'sipis': 100, 'parked': 20},
}
for _b in BACKENDS.values():  # KEEL_SOAK: every window and count N times longer
    for _k, _v in _b.items():
        if _k.endswith('_ms') or _k in ('timeout', 'yields', 'sipis', 'parked', 'margin'):
            _b[_k] = {n: ms * SOAK for n, ms in _v.items()} if isinstance(_v, dict) else _v * SOAK


def image(name):
    return os.path.join(GUESTS, name)


def vm(img, name, *settings):
    """One module string: 'PATH vm=NAME settings...'."""
    return ' '.join([image(img), f'vm={name}', *settings])


def spin(name, ms, *settings, margin=0):
    """A spin guest counting over a window of ms; with a margin (ms) of uncounted spinning
    before and after it, so that VMs that start a few slices apart all count under the same
    competition (tests/guests/spin.c)."""
    return vm('spin.elf', name, 'mem=16M', *settings, f'cmdline="ms={ms} margin={margin}"')


def water_fill(demand, capacity):
    """Weighted max-min fair allocation of capacity CPUs. demand: {name: (weight, limit)} where
    limit is the most CPU the VM can use (its vCPU count, or its cap). Returns {name: CPUs}."""
    alloc, active, left = {}, set(demand), float(capacity)
    while active:
        total = sum(demand[n][0] for n in active)
        over = [n for n in active if left * demand[n][0] / total > demand[n][1]]
        if not over:
            for n in active:
                alloc[n] = left * demand[n][0] / total
            break
        for n in over:
            alloc[n] = float(demand[n][1])
            left -= demand[n][1]
            active.remove(n)
    return alloc


def spin_counts(text, what='iterations'):
    """{vm: iterations} (or, with what='ran', {vm: TSC ticks it saw itself run in its window})
    from the spin guests' result lines."""
    group = 2 if what == 'iterations' else 3
    return {m.group(1): int(m.group(group)) for m in
            re.finditer(r'^\[[^]]*\] \[([^]]+)\] spin: (\d+) iterations in \d+ ticks, ran (\d+) '
                        r'ticks', text, re.M)}


def guest_seconds(text):
    """{vm: seconds in the guest} from keel's summary, for the failure messages."""
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r'summary: vm (\S+): .*?; [\d.]+ s, ([\d.]+) s in the guest', text)}


def shares(text, names, what='ran'):
    """{vm: share} of the CPU time each spin guest saw itself run in its window (or of the
    iterations, what='iterations'), and why not where results are missing."""
    counts = spin_counts(text, what)
    missing = [n for n in names if n not in counts]
    if missing:
        return None, f'no spin result from {", ".join(missing)}'
    total = sum(counts[n] for n in names)
    if not total:
        return None, 'no iterations at all'
    return {n: counts[n] / total for n in names}, ''


def fairness_errors(text, weights, ncpus):
    """(max relative error, report, basis) of each VM's share against its weighted max-min fair
    share on ncpus CPUs (one vCPU each); error None if results are missing.

    The basis is the CPU time each guest saw itself run inside its window (tests/guests/spin.c
    sums the TSC steps between its rounds that are under 100 us). Under an emulator on a
    loaded host, iterations per TSC tick vary from slice to slice (the host stalls the emulated
    CPU at random while the TSC runs on), so the iteration shares are in the report only. On
    several CPUs, where that misses the bar, keel's own account of each VM's time in the guest
    is the basis (the emulated CPUs took unequal turns on the host)."""
    got, why = shares(text, list(weights))
    if got is None:
        return None, why, None
    alloc = water_fill({n: (w, 1) for n, w in weights.items()}, ncpus)
    total = sum(alloc.values())
    want = {n: a / total for n, a in alloc.items()}
    counts, iters = spin_counts(text, 'ran'), spin_counts(text)
    by_iter, _ = shares(text, list(weights), 'iterations')
    errs = {n: abs(got[n] - want[n]) / want[n] for n in weights}
    report = '; '.join(f'{n} (weight {weights[n]}): share {got[n]:.3f}, fair {want[n]:.3f}, '
                       f'error {errs[n]:.1%}, ran {counts[n]} ticks, {iters[n]} iterations '
                       f'(share {by_iter[n]:.3f})' for n in weights)
    err, basis = max(errs.values()), 'run time'
    secs = guest_seconds(text)
    if err > SHARE_TOLERANCE and ncpus > 1 and all(secs.get(n) for n in weights):
        # Several emulated CPUs on one TCG thread take turns, and a loaded host gives one
        # fewer turns than another: time each guest saw itself run then also measures the
        # emulator's round robin, which keel cannot see. keel's own account of each vCPU's
        # time in the guest (TSC, from entry to exit) is then the basis.
        got = {n: secs[n] / sum(secs[m] for m in weights) for n in weights}
        errs = {n: abs(got[n] - want[n]) / want[n] for n in weights}
        report += '; by keel\'s account: ' + ', '.join(
            f'{n} {secs[n]:.3f} s in the guest (share {got[n]:.3f}, error {errs[n]:.1%})'
            for n in weights)
        err, basis = max(errs.values()), 'guest time'
    return err, f'{report}; shares of {basis}', basis


def note(test, line):
    """Append what a check computed to the test's log (tests/run names logs the same way)."""
    path = os.path.join(LOGS, re.sub(r'[^A-Za-z0-9_.-]+', '_', test) + '.log')
    try:
        with open(path, 'a') as f:
            f.write(f'\n--- {test} ---\n{line}\n')
    except OSError:
        pass


def summary_cpus(text, name):
    m = re.search(rf'summary: vm {re.escape(name)}: .* in the guest on CPUs (0x[0-9a-f]+|0);',
                  text)
    return int(m.group(1), 16) if m else None


def define(boot, Fail):
    def test(name, tag, smp, *modules, expect=(), reject=(), ordered=(), status=0,
             check=None, cost=None):
        b = BACKENDS[tag]
        boot(f'sched/{name}[{tag}]', *b['args'], '--smp', str(smp), *modules,
             expect=list(expect), reject=REJECT + list(reject), ordered=list(ordered),
             status=status, timeout=b['timeout'], needs=b['needs'],
             cost=cost or b['cost'] * smp, check=check)

    for tag, b in BACKENDS.items():
        # 1. Fairness: three CPU-bound VMs weighted 1:2:4, each spinning for the same window.
        # On one CPU their shares are 1/7, 2/7, 4/7; on two, a single vCPU can use at most one
        # CPU: weight 4 gets a CPU to itself and weights 1 and 2 share the other (1/6, 1/3,
        # 1/2 of the progress). Expected shares come from water-filling, not from this table.
        weights = {'w1': 1, 'w2': 2, 'w4': 4}
        for smp in (1, 2):
            tname = f'sched/fairness-smp{smp}[{tag}]'

            def fair(text, smp=smp, tname=tname):
                err, report, _ = fairness_errors(text, weights, smp)
                note(tname, f'sched: fairness on {smp} CPU(s): {report}; '
                            f'max error {err if err is None else f"{err:.1%}"}')
                if err is None:
                    raise Fail(report)
                if err > SHARE_TOLERANCE:
                    raise Fail(f'a share is {err:.1%} off its fair share (bar '
                               f'{SHARE_TOLERANCE:.0%}): {report}')
            test(f'fairness-smp{smp}', tag, smp,
                 *[spin(n, b['fair_ms'][smp], f'weight={w}', margin=b['margin'])
                   for n, w in weights.items()],
                 expect=[rf'summary: vm {n}: exited, status 0' for n in weights] + [END0],
                 check=fair)

        # 2. A VM spinning with interrupts off must not keep the CPU: two hello VMs beside it
        # on the same CPU finish long before it does (keel's host timer preempts the guest
        # whatever its RFLAGS.IF).
        def hellos_first(text):
            end = re.search(r'vm spinner: exited with status 0', text)
            for n in ('hello1', 'hello2'):
                m = re.search(rf'vm {n}: exited with status 0', text)
                if not m or not end or m.start() > end.start():
                    raise Fail(f'vm {n} did not exit with status 0 before the spinner')
        test('spin-irqs-off', tag, 1, spin('spinner', b['spin_long_ms']),
             vm('hello.elf', 'hello1', 'mem=16M'), vm('hello32.elf', 'hello2', 'mem=16M'),
             expect=[r'\[spinner\] spin: window \d+ ticks at \d+ kHz, margin 0, interrupts off',
                     r'\[hello1\] hello from a 64-bit guest',
                     r'\[hello2\] hello from a 32-bit guest',
                     r'summary: vm spinner: exited, status 0', END0],
             check=hellos_first)

        # 3. Many small VMs at once on two CPUs: the flat real-mode hello in 1 MiB each.
        n_vms = b['many']
        names = [f'v{i:02d}' for i in range(n_vms)]

        def both_cpus(text, names=names):
            mask = 0
            for n in names:
                mask |= summary_cpus(text, n) or 0
            if mask == 0x3:
                return
            # With one TCG thread for all emulated CPUs (keel-run's default), a loaded host
            # may not give emulated CPU 1 a turn in the half second these VMs take: keel then
            # did its part if CPU 0 stole the VMs homed on CPU 1 (a migration each), which no
            # guest scheduler can tell from a CPU that did not run.
            m = re.search(r'summary: scheduler: .* (\d+) migrations', text)
            if mask in (0x1, 0x2) and m and int(m.group(1)) >= len(names) // 4:
                return
            raise Fail(f'{len(names)} VMs ran on CPUs {mask:#x} together, not on both, and '
                       f'{m.group(1) if m else "no"} migrations')
        test(f'{n_vms}-vms', tag, 2, *[vm('hello16.bin', n, 'mem=1M') for n in names],
             expect=[rf'\[{n}\] hello from real mode' for n in names] +
             [rf'summary: vm {n}: exited, status 0' for n in names] + [END0],
             reject=[r'cannot get \d+ MiB', r'not started'], check=both_cpus)

        # 4. Two vCPUs: the guest starts its AP with INIT-SIPI-SIPI through its local APIC; the
        # AP reaches the BSP's mode (long mode in the ELF64 build), reports its APIC ids and
        # takes a fixed IPI while halted. On two CPUs and, sharing one, on one CPU.
        for smp, suffix in ((2, ''), (1, '-smp1')):
            test(f'two-vcpus{suffix}', tag, smp,
                 vm('smp.elf', 's64', 'mem=16M', 'cpus=2'),
                 vm('smp32.elf', 's32', 'mem=16M', 'cpus=2'),
                 expect=[r'\[s64\] smp: AP up in 64-bit mode, CPUID APIC id 1, LAPIC id 1',
                         r'\[s32\] smp: AP up in 32-bit mode, CPUID APIC id 1, LAPIC id 1',
                         r'\[s64\] PASS: a fixed IPI \(vector 0x41\) woke the halted AP',
                         r'\[s64\] PASSED: \d+ checks, 0 failed',
                         r'\[s32\] PASSED: \d+ checks, 0 failed',
                         r'summary: vm s64: exited, status 0 .* in the guest on CPUs 0x[0-9a-f]+;',
                         r'summary: vm s32: exited, status 0 .* in the guest on CPUs 0x[0-9a-f]+;',
                         END0])

        # 5. The timers of a sleeping guest (the local APIC timer periodic, then one-shot
        # re-armed from its handler, then the PIT through the PIC) keep ticking while two
        # CPU-bound VMs share its CPU.
        t = b['timer_ms']
        test('timer-under-load', tag, 1,
             vm('timer.elf', 't64', 'mem=16M', f'cmdline="ms={t}"'),
             vm('timer32.elf', 't32', 'mem=16M', f'cmdline="ms={t} period=2000"'),
             spin('load1', b['timer_load_ms']), spin('load2', b['timer_load_ms']),
             expect=[r'\[t64\] PASS: periodic: \d+ ticks, at least a quarter',
                     r'\[t64\] PASS: one-shot: \d+ ticks, at least a quarter',
                     r'\[t32\] PASS: periodic: \d+ ticks, at least a quarter',
                     r'\[t64\] PASS: pit: \d+ ticks, at least a quarter',
                     r'\[t32\] PASS: pit: \d+ ticks, at least a quarter',
                     r'\[t64\] PASSED: \d+ checks, 0 failed',
                     r'\[t32\] PASSED: \d+ checks, 0 failed',
                     r'summary: vm load1: exited, status 0', r'summary: vm load2: exited, status 0',
                     END0],
             reject=[r'stopped: every vCPU halted'])

        # 6. A cap: on one CPU a VM capped at 25% of it gets no more than that (5 points of
        # slack: caps are enforced per 100 ms period), and an uncapped VM beside it the rest.
        def capped(text, tname=f'sched/cap[{tag}]'):
            got, why = shares(text, ['capped', 'free'])
            if got is None:
                raise Fail(why)
            iters, _ = shares(text, ['capped', 'free'], 'iterations')
            report = (f"capped (cap=25) share {got['capped']:.3f}, free share "
                      f"{got['free']:.3f} of run time (of iterations {iters['capped']:.3f} and "
                      f"{iters['free']:.3f}); guest seconds {guest_seconds(text)}")
            note(tname, f'sched: {report}')
            if got['capped'] > 0.30:
                raise Fail(f'the capped VM got more than 25% + 5 points: {report}')
            if got['free'] < 0.65:
                raise Fail(f'the uncapped VM got less than 65%: {report}')
        test('cap', tag, 1, spin('capped', b['cap_ms'], 'cap=25', margin=b['margin']),
             spin('free', b['cap_ms'], margin=b['margin']),
             expect=[r'vm capped: .*, capped,', r'summary: vm capped: exited, status 0',
                     r'summary: vm free: exited, status 0', END0],
             check=capped)

        # 7. Pinning: each VM runs only on the CPU it is pinned to.
        test('pin', tag, 2, spin('p1', b['pin_ms'], 'pin=1'), spin('p0', b['pin_ms'], 'pin=0'),
             expect=[r'vm p1: .* CPUs 0x2,', r'vm p0: .* CPUs 0x1,',
                     r'summary: vm p1: exited, status 0 .* in the guest on CPUs 0x2;',
                     r'summary: vm p0: exited, status 0 .* in the guest on CPUs 0x1;', END0])

        # 8. Item 5 of issue 11: three VMs that only sleep (STI; HLT) between 100 us ticks of
        # their local APIC timers, all on CPU 1, while CPU 0 idles and runs the stuck-VM check.
        # Each wake-up races that check; none may be taken for a VM that cannot wake. (Three
        # VMs cannot all keep up with 100 us ticks on one emulated CPU: floor=0 asks only for
        # ticks, not for a rate.)
        storm = [f'st{i}' for i in range(3)]
        test('sti-hlt-storm', tag, 2,
             *[vm('timer.elf' if i % 2 == 0 else 'timer32.elf', n, 'mem=16M', 'pin=1',
                  f'cmdline="ms={b["storm_ms"]} period=100 floor=0 phases=3"')
               for i, n in enumerate(storm)],
             expect=[rf'\[{n}\] PASSED: \d+ checks, 0 failed' for n in storm] + [END0],
             reject=[r'stopped: (halted with interrupts disabled|every vCPU halted)'])

        # 9. Item 15: two VMs pinned to the two CPUs, both making YIELD hypercalls as fast as
        # they can; the run ends with status 0 (keel-run's single-threaded TCG: README).
        test('yield-storm', tag, 2,
             *[vm('yield.elf', f'y{c}', 'mem=16M', f'pin={c}',
                  f'cmdline="yields={b["yields"]}"') for c in (0, 1)],
             expect=[rf'\[y{c}\] yield: {b["yields"]} yields done' for c in (0, 1)] +
             [rf'summary: vm y{c}: exited, status 0' for c in (0, 1)] + [END0])

        # 10. SIPIs racing a HLT with interrupts off: the AP parks itself after every start
        # while the BSP sends SIPIs without pause from the other CPU; each start must begin at
        # the stub's first byte (tests/guests/sipi.c).
        test('sipi-storm', tag, 2,
             vm('sipi.elf', 'sp64', 'mem=16M', 'cpus=2', f'cmdline="starts={b["sipis"]}"'),
             vm('sipi32.elf', 'sp32', 'mem=16M', 'cpus=2', f'cmdline="starts={b["sipis"]}"'),
             expect=[r'\[sp64\] PASSED: \d+ checks, 0 failed',
                     r'\[sp32\] PASSED: \d+ checks, 0 failed', END0])

        # 11. The PIT of a VM whose vCPU 0 is parked by CLI; HLT keeps ticking: routed by the
        # I/O APIC to vCPU 1, which counts its ticks and ends the VM (tests/guests/smp.c).
        test('parked-bsp-pit', tag, 2,
             vm('smp.elf', 'pk64', 'mem=16M', 'cpus=2', f'cmdline="parked={b["parked"]}"'),
             vm('smp32.elf', 'pk32', 'mem=16M', 'cpus=2', f'cmdline="parked={b["parked"]}"'),
             expect=[r'\[pk64\] PASS: the AP took \d+ PIT ticks with the BSP parked',
                     r'\[pk32\] PASS: the AP took \d+ PIT ticks with the BSP parked',
                     r'\[pk64\] PASSED: \d+ checks, 0 failed',
                     r'\[pk32\] PASSED: \d+ checks, 0 failed', END0],
             reject=[r'stopped: every vCPU halted'])

    # 12. Four host CPUs (QEMU only: Bochs with four CPUs is too slow for a test): eight
    # spinners and the two two-vCPU guests at once; every VM finishes, and the spinners'
    # load reaches every CPU.
    spinners = [f'q{i}' for i in range(8)]

    def all_four(text):
        mask = 0
        for n in spinners:
            mask |= summary_cpus(text, n) or 0
        if mask != 0xf:
            raise Fail(f'the spinners ran on CPUs {mask:#x}, not on all four')
    test('smp4', 'svm', 4, *[spin(n, 1000) for n in spinners],
         vm('smp.elf', 's64', 'mem=16M', 'cpus=2'), vm('smp32.elf', 's32', 'mem=16M', 'cpus=2'),
         expect=[rf'summary: vm {n}: exited, status 0' for n in spinners + ['s64', 's32']] +
         [r'\[s64\] PASSED: \d+ checks, 0 failed', r'\[s32\] PASSED: \d+ checks, 0 failed', END0],
         check=all_four)
