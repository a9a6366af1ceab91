"""virtio devices that keel serves itself (issue 14), found and used by Debian's kernel with its
own modules (the test kit puts them in the initramfs; tests/linux/init loads them and runs
tests/linux/NAME.sh for keel.test=NAME). Without the kernel (no network) they are skipped."""
import suite_virtio_blk as blk
import suite_virtio_cons as cons
from suite_linux import INITRD, KERNEL, have_linux, linux_vm, NO_CALIBRATION

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
    # VT-x under Bochs, where each Linux boot costs a minute or more: one VM with the rng, a
    # disk and hvc0, running rng.sh, blk.sh (one boot: write, drop the caches, mount again)
    # and console.sh in turn, with what each of linux/virtio-rng[svm], linux/virtio-blk[svm]
    # and virtio/console[svm] checks of them.
    def ready_all():
        have_linux(boot.Skip)
        blk.make_image(boot.Skip)
    name = 'vmx'
    args = (f'console=ttyS0 keel.test=rng,blk,console keel.end=poweroff keel.blk={name} '
            f'keel.sha={blk.SHA} keel.blk_end=remount keel.bulk=hvc0')
    boot('linux/virtio[vmx]', '--emulator', 'bochs', '--mem', '512M',
         '--send', 'type on hvc0=hello from keel\\r',
         f'{KERNEL} vm={name} mem=256M console=virtio cmdline="{args}"',
         f'{INITRD} vm={name} initrd', f'{blk.IMAGE} vm={name} disk',
         ordered=blk.first_boot(name)[:1] +
         [rf'\[{name}\] KEEL-LINUX: rng ok',
          MSIX.replace('linux', name).replace('virtio0', r'virtio\d+')] +
         blk.first_boot(name)[1:] +
         [rf'\[{name}\] KEEL-LINUX: blk found the written file \(written by {name}\)',
          rf'\[{name}\] KEEL-LINUX: blk vda sha256 ok'] + cons.hvc_lines(name) +
         [r'keel: end of run, status 0'],
         reject=NO_CALIBRATION + BROKEN + blk.REJECT +
         [rf'\[{name}\] KEEL-LINUX: hvc0 read nothing'],
         check=cons.bulk_whole(Fail, name), timeout=900, cost=200,
         needs=['grub-mkrescue'], pre=ready_all)
