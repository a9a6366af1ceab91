"""MSRs and CPU features an OS expects (issue 13 item 6): the conformance guests msrs.c (MTRRs,
SPEC_CTRL/PRED_CMD/ARCH_CAPABILITIES, DEBUGCTL, MISC_ENABLE, TSC_AUX, no PMU) and features.c
(PCID/INVPCID, SMEP, SMAP, UMIP, FSGSBASE, RDRAND/RDSEED, 1 GiB pages), on four CPUs: QEMU TCG
with qemu64,+svm,+npt ([svm]) and with -cpu max (-cpu-max[svm]), Bochs' Skylake-X ([vmx]) and
Tiger Lake (-tigerlake[vmx]).

A guest prints 'SKIP: name: why' for a check whose feature its CPUID does not show (and checks
instead that the feature is refused). Each test lists exactly the SKIPs that CPU may give, so
that a feature keel hides from a host that has it fails the test: what each emulator offers was
read from QEMU's CPU model expansion and Bochs' models (the README's "CPU features" table)."""
import re

from suite_guests import BACKENDS, END0, FAIL_LINE, passed, vm

SPEC = ('SPEC_CTRL', 'PRED_CMD', 'ARCH_CAPABILITIES')
# What each CPU lacks: qemu64 has none of the features; QEMU's TCG -cpu max lacks PCID,
# INVPCID and the speculation controls; Bochs' Skylake-X model lacks UMIP and the speculation
# controls; Tiger Lake has everything.
SKIPS = {
    'svm': {'msrs': SPEC + ('TSC_AUX',),
            'features': ('1 GiB pages', 'PCID', 'INVPCID', 'SMEP', 'SMAP', 'FSGSBASE', 'RDRAND',
                         'RDSEED', 'UMIP')},
    'cpu-max': {'msrs': SPEC, 'features': ('PCID', 'INVPCID')},
    'vmx': {'msrs': SPEC, 'features': ('UMIP',)},
    'tigerlake': {'msrs': (), 'features': ()},
}


def define(boot, Fail):
    def skips_are(vms, allowed):
        """Every VM in vms printed a SKIP line for exactly the names in allowed."""
        def check(text):
            for name in vms:
                seen = set(re.findall(rf'\[{name}\] SKIP: ([^:]+):', text))
                if seen != set(allowed):
                    raise Fail(f'vm {name}: SKIPs {sorted(seen)}, expected {sorted(allowed)}')
        return check

    modules = {
        'msrs': (vm('msrs.elf', 'm64', 'mem=16M'), vm('msrs32.elf', 'm32', 'mem=16M')),
        'features': (vm('features.elf', 'f64', 'mem=16M'),),
    }
    names = {'msrs': ('m64', 'm32'), 'features': ('f64',)}
    # The tests' suffix and keel-run arguments for each CPU, on its backend.
    cpus = [('svm', '', []), ('cpu-max', '-cpu-max', ['--cpu', 'max']),
            ('vmx', '', []), ('tigerlake', '-tigerlake', ['--cpu', 'tigerlake'])]
    for guest in ('msrs', 'features'):
        for cpu, suffix, cargs in cpus:
            tag = 'vmx' if cpu in ('vmx', 'tigerlake') else 'svm'
            _, bargs, needs, tmo, cost = next(b for b in BACKENDS if b[0] == tag)
            boot(f'guest/{guest}{suffix}[{tag}]', *bargs, *cargs, *modules[guest],
                 expect=passed(*names[guest]) + [END0],
                 reject=[FAIL_LINE, r'error: exception'], timeout=tmo, needs=needs, cost=cost,
                 check=skips_are(names[guest], SKIPS[cpu][guest]))
    # Two VMs on one CPU, each with MTRRs (and SPEC_CTRL, on Tiger Lake) of its own, yielding
    # to each other: what one writes never shows in the other.
    def kept(name, tag):
        return vm('msrs.elf', name, 'mem=16M', 'pin=0', f'cmdline="tag={tag}"')
    for cpu, suffix, cargs in (cpus[0], cpus[3]):
        tag = 'vmx' if cpu == 'tigerlake' else 'svm'
        _, bargs, needs, tmo, cost = next(b for b in BACKENDS if b[0] == tag)
        boot(f'guest/msrs-kept{suffix}[{tag}]', *bargs, *cargs, kept('k1', 5), kept('k2', 2),
             expect=passed('k1', 'k2') + [END0], reject=[FAIL_LINE, r'error: exception'],
             timeout=tmo, needs=needs, cost=cost)
