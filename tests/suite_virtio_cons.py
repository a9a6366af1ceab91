"""virtio-console and hostile virtio drivers (issue 14 items 5 and 7), on both backends.

virtio/console: Debian's kernel with console=virtio on its VM definition finds hvc0
(tests/linux/console.sh): a line written there is logged as the VM's own "[NAME]" line, a line
typed on keel's console is read from hvc0 (keel's input goes to hvc0, not the UART), and 64
KiB written through hvc0 costs a few MMIO exits where the same bytes through ttyS0 cost one
port exit or more each. [svm] runs the two side by side in one keel and compares keel's
end-of-run exit counts (never times); on [vmx], linux/virtio[vmx] (suite_virtio.py) checks hvc0.

virtio/hostile: tests/guests/virtio-hostile.c breaks the split-virtqueue rules on every
virtio device of its VM (a disk, a NIC, hvc0 and the default rng) while another guest keeps
printing and a third that spins on the CPU: keel logs why each device needs a reset, the
other VMs finish normally, and keel's run ends with status 0. A second NIC on the same switch
takes the first's frames into merged receive buffers: one smaller than the header and a
read-only one break the rules (that NIC needs a reset), and a frame over two buffers arrives
whole with num_buffers 2."""
import os
import re

from suite_guests import BACKENDS, END0, FAIL_LINE, passed, vm
from suite_linux import INITRD, KERNEL, have_linux

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DISK = os.path.join(ROOT, 'build', 'guests', 'virtio-hostile.img')
BULK_LINES = 1024  # console.sh's 64 KiB: 1024 lines of 63 characters and a newline


def linux(name, mem, extra, args):
    """A Linux VM (kernel and initramfs modules) running console.sh."""
    cmdline = f'console=ttyS0 keel.test=console keel.end=poweroff {args}'
    return [f'{KERNEL} vm={name} mem={mem} cpus=1 rng=no {extra} cmdline="{cmdline}"',
            f'{INITRD} vm={name} initrd']


def hvc_lines(name):
    """What the hvc0 VM shows, in order: its line through hvc0, the typed line read back, the
    bulk written, its power-off."""
    return [rf'\[{name}\] KEEL-LINUX: hvc0 found', rf'\[{name}\] KEEL-HVC: hello through hvc0',
            rf"\[{name}\] KEEL-LINUX: hvc0 read 'hello from keel'",
            rf"\[{name}\] KEEL-HVC: echo 'hello from keel'",
            rf'\[{name}\] KEEL-LINUX: bulk 65536 bytes through hvc0',
            rf'\[{name}\] KEEL-LINUX: bulk done', rf'vm {name}: powered off by the guest']


def exits(text, name, Fail):
    """keel's end-of-run exit counts for VM name, by kind ("summary: vm NAME: ...; N exits
    (io N, mmio N, ...)")."""
    m = re.search(rf'summary: vm {name}: .*; \d+ exits \(([^)]*)\)', text)
    if not m:
        raise Fail(f'no summary line for vm {name}')
    return {k: int(v) for k, v in re.findall(r'([\w-]+) (\d+)', m.group(1))}


def bulk_whole(Fail, *names):
    """Each VM's 64 KiB reached keel's log whole: 1024 bulk lines under its name."""
    def check(text):
        for n in names:
            got = len(re.findall(rf'\[{n}\] KEEL-BULK x{{53}}$', text, re.M))
            if got != BULK_LINES:
                raise Fail(f'vm {n}: {got} bulk lines logged, expected {BULK_LINES}')
    return check


def fewer_exits(Fail):
    """The same 64 KiB cost the ttyS0 VM about one port exit a byte (60000 at least) more than
    the hvc0 VM, while the whole virtio console (its probe and the 64 KiB) cost the hvc0 VM
    fewer than 4096 MMIO exits beyond the ttyS0 VM's (both have rng=no: no other virtio
    device)."""
    def check(text):
        bulk_whole(Fail, 'hvc', 'uart')(text)
        h, u = exits(text, 'hvc', Fail), exits(text, 'uart', Fail)
        io = u.get('io', 0) - h.get('io', 0)
        mmio = h.get('mmio', 0) - u.get('mmio', 0)
        if io < 60000 or mmio >= 4096:
            raise Fail(f'ttyS0 VM {u}, hvc0 VM {h}: {io} more port exits through ttyS0, '
                       f'{mmio} more MMIO exits through hvc0')
    return check


def each_kind_logged(Fail):
    """Every device the hostile guest attacked (it prints "KIND at 00:SS.0") got keel's log
    lines saying why it needs a reset; at least one kind was there to attack."""
    def check(text):
        kinds = set(re.findall(r'\[hostile\] (virtio-\w+) at 00:', text))
        if not kinds:
            raise Fail('the hostile guest found no virtio device')
        for k in kinds:
            if not re.search(rf'vm hostile: {k} \d+: ', text):
                raise Fail(f'keel logged nothing about the hostile guest\'s {k}')
    return check


def make_disk():
    """A 64 KiB disk for the hostile VM: sector 0 is what its good read fetches."""
    if not os.path.exists(DISK):
        os.makedirs(os.path.dirname(DISK), exist_ok=True)
        with open(DISK, 'wb') as f:
            f.write(bytes(range(256)) * 256)


def define(boot, Fail):
    def ready():
        have_linux(boot.Skip)

    send = ['--send', 'type on hvc0=hello from keel\\r']
    boot('virtio/console[svm]', '--smp', '2', '--mem', '1G', *send,
         *linux('hvc', '200M', 'console=virtio', 'keel.bulk=hvc0'),
         *linux('uart', '200M', '', 'keel.bulk=ttyS0'),
         ordered=hvc_lines('hvc') + [END0],
         expect=[r'\[uart\] KEEL-LINUX: no hvc0', r'\[uart\] KEEL-LINUX: bulk done',
                 r'vm uart: powered off by the guest'],
         reject=[r'\[hvc\] KEEL-LINUX: no hvc0', r'\[hvc\] KEEL-LINUX: hvc0 read nothing',
                 r'vm hvc: virtio-console'],
         check=fewer_exits(Fail), timeout=400, cost=30, pre=ready)
    # VT-x: linux/virtio[vmx] (tests/suite_virtio.py), one Bochs boot for every device.

    # The hostile VM next to one that prints all along; under Bochs a shorter storm. QEMU's
    # -cpu max, for RDRAND: keel serves virtio-rng only from the host's RDRAND or RDSEED.
    for tag, bargs, needs, tmo, cost in BACKENDS:
        storm = 100000 if tag == 'svm' else 10000
        boot(f'virtio/hostile[{tag}]', *(bargs or ['--cpu', 'max']),
             vm('virtio-hostile.elf', 'hostile', 'mem=16M', 'net=sw0,sw0', 'console=virtio',
                f'cmdline="storm={storm}"'),
             f'{DISK} vm=hostile disk',
             vm('print.elf', 'bystander', 'mem=16M', 'cmdline="lines=400"'),
             vm('spin.elf', 'spinner', 'mem=16M', 'cmdline="ms=2000"'),
             expect=passed('hostile', 'bystander') + [
                 r'vm hostile: virtio-\w+ \d+: ',
                 r'\[hostile\] virtio-net at 00:\w+\.0: the second NIC',
                 r'vm hostile: virtio-net 1: .*less than a header',
                 r'vm spinner: exited with status 0 ', END0],
             reject=[FAIL_LINE, r'error: exception', r'panic'], check=each_kind_logged(Fail),
             timeout=tmo * 3, needs=needs, cost=cost * 3, pre=make_disk)
