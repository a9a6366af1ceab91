"""Extended state (issue 13, item 4, and PKU of item 6): the XSAVE conformance guest and AVX
state kept per vCPU, on [svm] (QEMU TCG, -cpu qemu64,+svm,+npt: no XSAVE, so the XSAVE checks
print SKIP and CPUID must not offer them), on [svm] with --cpu max (XSAVE, AVX, AVX2, PKU) and
on [vmx] (Bochs' corei7_skylake_x: XSAVE, AVX, AVX2; its AVX-512 is not offered).

Each check prints 'PASS: name: ...', 'FAIL: name: ...' or 'SKIP name: why'; a test expects the
PASS lines the backend's CPU allows and a SKIP only where the host truly lacks the feature."""
import re

from suite_guests import BACKENDS, END0, FAIL_LINE, passed, vm

XSAVE_CHECKS = ['osxsave-clear', 'xsetbv-ud', 'xgetbv-ud', 'cr4-osxsave', 'osxsave-set',
                'xcr0-reset', 'leaf-d-x87-sse', 'leaf-d-avx', 'leaf-d-pkru', 'leaf-d-avx512',
                'leaf-d-size-x87', 'leaf-d-subleaves', 'xsetbv-gp-ecx', 'xsetbv-gp-zero',
                'xsetbv-gp-no-x87', 'xsetbv-gp-avx-no-sse', 'xsetbv-gp-edx', 'xsetbv-gp-bit63',
                'xsetbv-gp-avx512-part', 'xsetbv-gp-mpx-part', 'xsetbv-gp-unsupported',
                'xsetbv-gp-cpl3', 'xgetbv-gp-ecx2', 'xsetbv-sse', 'xsetbv-all', 'xsave-xmm0',
                'xrstor-back', 'xrstor-gp-bv', 'xrstor-gp-header']
AVX_CHECKS = ['leaf-d-avx-layout', 'xsave-ymm0-high', 'avx-ud-xcr0', 'avx-vpaddd',
              'avx2-vpaddd']
PKU_CHECKS = ['pku-cr4', 'pkru-reset', 'pkru-rw', 'xsave-pkru']
NO_XSAVE_CHECKS = ['no-xsave-no-avx', 'no-xsave-leaf-d', 'no-xsave-cr4', 'no-xsave-xsetbv']


def lines(vmname, names):
    return [rf'\[{vmname}\] PASS: {n}:' for n in names]


def define(boot, Fail):
    def moved(text):
        m = re.search(r'summary: scheduler: .* (\d+) migrations', text)
        if not m or int(m.group(1)) < 1:
            raise Fail(f'too few moves between CPUs: {m and m.group(1)}')

    svm, vmx = BACKENDS
    # (test name suffix, keel-run arguments, needs, timeout, cost, XSAVE, AVX, PKU)
    runs = [('[svm]', svm[1], svm[2], svm[3], svm[4], False, False, False),
            ('-cpu-max[svm]', ['--cpu', 'max'], svm[2], svm[3], svm[4], True, True, True),
            ('[vmx]', vmx[1], vmx[2], vmx[3], vmx[4], True, True, False)]
    for suffix, args, needs, tmo, cost, has_xsave, has_avx, has_pku in runs:
        want = passed('xs') + [END0]
        if not has_xsave:
            want += lines('xs', NO_XSAVE_CHECKS) + [r'\[xs\] SKIP xsave: CPUID offers no XSAVE']
        else:
            want += lines('xs', XSAVE_CHECKS)
        want += lines('xs', AVX_CHECKS) if has_avx else []
        want += lines('xs', PKU_CHECKS) if has_pku else []
        if has_xsave:
            want += [] if has_avx else [r'\[xs\] SKIP avx:']
            want += [] if has_pku else [r'\[xs\] SKIP pku:']
        # The conformance guest alone.
        boot(f'guest/xsave{suffix}', *args, vm('xsave.elf', 'xs', 'mem=16M'),
             expect=want, reject=[FAIL_LINE, r'error: exception', r'panic'], timeout=tmo,
             needs=needs, cost=cost)
        # AVX in two VMs sharing CPU 0 (different XCR0s: tag 2 adds PKRU's bit where offered),
        # then three unpinned on two CPUs that nap so that idle CPUs steal them.
        def av(name, tag, *settings):
            return vm('avx.elf', name, 'mem=16M', *settings, f'cmdline="tag={tag}"')
        avx_want = [r'\[av-a\] PASS: avx-ymm-kept', r'\[av-b\] PASS: avx-xcr0-kept'] \
            if has_avx else [r'\[av-a\] SKIP avx-state', r'\[av-a\] PASS: avx-absent']
        boot(f'guest/avx-shared{suffix}', *args, '--smp', '2', av('av-a', 1, 'pin=0'),
             av('av-b', 2, 'pin=0'), expect=passed('av-a', 'av-b') + avx_want + [END0],
             reject=[FAIL_LINE, r'error: exception', r'panic'], timeout=tmo, needs=needs,
             cost=cost)
        moves = [av('av-a', '1 nap=300 rounds=100'), av('av-b', '2 nap=300 rounds=100'),
                 av('av-c', '3 nap=300 rounds=100')]
        boot(f'guest/avx-move{suffix}', *args, '--smp', '2', *moves,
             expect=passed('av-a', 'av-b', 'av-c') + [END0] +
             ([r'\[av-c\] PASS: avx-ymm-kept'] if has_avx else [r'\[av-c\] SKIP avx-state']),
             reject=[FAIL_LINE, r'error: exception', r'panic'], timeout=tmo, needs=needs,
             # moves are only asked for where there is AVX state to carry: on a CPU without it
             # the guests SKIP at once, before a move is likely (seen: 0 moves in 0.8 s)
             cost=cost, check=moved if has_avx else None)
