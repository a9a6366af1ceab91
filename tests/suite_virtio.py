"""virtio devices that keel serves itself (issue 14), found and used by Debian's kernel with its
own modules (the test kit puts them in the initramfs; tests/linux/init loads them and runs
tests/linux/NAME.sh for keel.test=NAME). Without the kernel (no network) they are skipped."""
from suite_linux import have_linux, linux_vm, NO_CALIBRATION

# What every virtio boot must show, and never: a device keel marked broken is a failure.
UP = [r'\[linux\] KEEL-LINUX: userspace up']
DOWN = [r'vm linux: powered off by the guest', r'keel: end of run, status 0']
BROKEN = [r'virtio-\w+ \d+: ', r'KEEL-LINUX: \w+ not ok']
# Linux gave the rng's request queue its own MSI-X vector, and took interrupts on it.
MSIX = r'\[linux\] KEEL-LINUX: rng interrupts: .*[1-9]\d* PCI-MSI \d+-edge virtio0-input'


def define(boot, Fail):
    def ready():
        have_linux(boot.Skip)

    # virtio-rng (issue 14 item 6) needs RDRAND or RDSEED on the host: QEMU's -cpu max has them
    # under TCG (qemu64 has neither, and keel then gives no rng), Bochs' Skylake-X has both.
    rng = linux_vm('linux', cpus=1, args='keel.test=rng keel.end=poweroff')
    boot('linux/virtio-rng[svm]', '--mem', '512M', '--cpu', 'max', *rng,
         ordered=UP + [r'\[linux\] KEEL-LINUX: rng ok', MSIX] + DOWN,
         reject=NO_CALIBRATION + BROKEN, timeout=240, cost=15, pre=ready)
    # The same through INTx and ISR (pci=nomsi): the _PRT's routing, the level raised at each
    # interrupt and lowered by the ISR read.
    boot('linux/virtio-rng-intx[svm]', '--mem', '512M', '--cpu', 'max',
         *linux_vm('linux', cpus=1, args='pci=nomsi keel.test=rng keel.end=poweroff'),
         ordered=UP + [r'\[linux\] KEEL-LINUX: rng ok',
                       r'\[linux\] KEEL-LINUX: rng interrupts: [1-9]\d* IO-APIC.*virtio0'] + DOWN,
         reject=NO_CALIBRATION + BROKEN, timeout=240, cost=15, pre=ready)
    boot('linux/virtio-rng[vmx]', '--emulator', 'bochs', '--mem', '512M', *rng,
         ordered=UP + [r'\[linux\] KEEL-LINUX: rng ok', MSIX] + DOWN,
         reject=NO_CALIBRATION + BROKEN, timeout=600, cost=120,
         needs=['grub-mkrescue'], pre=ready)
