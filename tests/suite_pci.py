"""The guest's PCI bus (issue 14 item 1): tests/guests/pci.c enumerates bus 0 through
configuration mechanism 1, sizes and moves the first virtio function's BARs, toggles memory
decoding, and takes an MSI-X and an INTx interrupt from virtio-rng. Each runs as pci/NAME[svm]
(QEMU TCG, with -cpu max: virtio-rng needs RDRAND or RDSEED, which qemu64 lacks) and
pci/NAME[vmx] (Bochs). A VM without a virtio function (rng=no) finds only the host bridge and
prints SKIP."""
from suite_guests import BACKENDS, END0, FAIL_LINE, passed, vm


def define(boot, Fail):
    def both(name, *modules, expect=(), reject=(), timeout=60):
        """pci/NAME on both backends (QEMU with -cpu max, for the rng)."""
        for tag, bargs, needs, tmo, cost in BACKENDS:
            bargs = bargs or ['--cpu', 'max']
            boot(f'pci/{name}[{tag}]', *bargs, *modules, expect=list(expect),
                 reject=[FAIL_LINE, r'error: exception', r'panic', *reject],
                 timeout=max(tmo, timeout), needs=needs, cost=cost)

    # 64-bit and 32-bit guests side by side.
    rng = [rf'\[{n}\] PASS: {what}' for n in ('p64', 'p32')
           for what in ('virtio-rng answered a request', r'its MSI-X vector arrived',
                        r'INTx arrived through I/O APIC pin', 'reading the ISR took the line down')]
    both('bus', vm('pci.elf', 'p64', 'mem=16M'), vm('pci32.elf', 'p32', 'mem=16M'),
         expect=passed('p64', 'p32') + rng + [r'\[p64\] PASS: 00:00.0 is the i440FX host bridge',
                                              END0],
         reject=[r'SKIP', r'virtio-rng \d+: '])
    # No virtio function: the host bridge alone.
    both('no-virtio', vm('pci.elf', 'p64', 'mem=16M', 'rng=no'),
         expect=passed('p64') + [r'\[p64\] SKIP: no virtio function on bus 0', END0])
