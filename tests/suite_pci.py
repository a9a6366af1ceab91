"""The guest's PCI bus (issue 14 item 1): tests/guests/pci.c enumerates bus 0 through
configuration mechanism 1, sizes and moves the first virtio function's BARs, toggles memory
decoding, and takes an MSI-X and an INTx interrupt from virtio-rng. Each runs as pci/NAME[svm]
(QEMU TCG) and pci/NAME[vmx] (Bochs). Until a VM has a virtio function the guest finds only
the host bridge and prints SKIP: the test asks for that line, and is to ask for the all-passed
tally without SKIP once virtio-rng is on every VM."""
from suite_guests import BACKENDS, END0, FAIL_LINE, passed, vm


def define(boot, Fail):
    def both(name, *modules, expect=(), reject=(), timeout=60):
        """pci/NAME on both backends."""
        for tag, bargs, needs, tmo, cost in BACKENDS:
            boot(f'pci/{name}[{tag}]', *bargs, *modules, expect=list(expect),
                 reject=[FAIL_LINE, r'error: exception', r'panic', *reject],
                 timeout=max(tmo, timeout), needs=needs, cost=cost)

    # 64-bit and 32-bit guests side by side.
    both('bus', vm('pci.elf', 'p64', 'mem=16M'), vm('pci32.elf', 'p32', 'mem=16M'),
         expect=passed('p64', 'p32') + [r'\[p64\] PASS: 00:00.0 is the i440FX host bridge',
                                        r'\[p32\] SKIP: no virtio function on bus 0', END0])
