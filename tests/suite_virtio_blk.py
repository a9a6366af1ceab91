"""virtio-blk with copy-on-write disks (issue 14, items 3 and 7), with Debian's kernel and its
virtio_blk module: Linux finds vda, mounts an ext4 image built here with mkfs.ext4 -d, checks a
file's SHA-256, trims, writes a file and syncs; under on_reset=restart it reboots and finds the
file, its own and not another VM's on the same image; a read-only disk shows as such and takes
no write. tests/linux/blk.sh is the guest's half."""
import hashlib
import os
import shutil
import subprocess
import threading

from suite_linux import ROOT, have_linux, linux_vm

DIR = os.path.join(ROOT, 'build', 'tests', 'blk')
IMAGE = os.path.join(DIR, 'disk.img')
# data.bin: 300 KiB that no two blocks of share, so a block read from the wrong place shows.
DATA = b''.join(hashlib.sha256(i.to_bytes(4, 'little')).digest() for i in range(9600))
SHA = hashlib.sha256(DATA).hexdigest()
_lock = threading.Lock()


def make_image(Skip):
    """The 16 MiB ext4 image holding data.bin, built again only when this file is newer."""
    with _lock:
        if (os.path.exists(IMAGE) and
                os.path.getmtime(IMAGE) >= os.path.getmtime(os.path.abspath(__file__))):
            return
        mkfs = shutil.which('mkfs.ext4') or '/usr/sbin/mkfs.ext4'
        if not os.path.exists(mkfs):
            raise Skip('no mkfs.ext4 (e2fsprogs: tools/deps installs it)')
        root = os.path.join(DIR, 'root')
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(root)
        with open(os.path.join(root, 'data.bin'), 'wb') as f:
            f.write(DATA)
        tmp = IMAGE + '.tmp'
        r = subprocess.run([mkfs, '-q', '-d', root, '-F', tmp, '16M'], capture_output=True,
                           text=True)
        if r.returncode:
            raise Skip(f'mkfs.ext4 failed: {r.stderr.strip()}')
        os.replace(tmp, IMAGE)


def blk_vm(name, end, ro_disk=False, mem='200M', cpus=1):
    """A Linux VM that runs blk.sh on vda (the image), and on vdb (the image, read-only)."""
    mods = linux_vm(name, mem=mem, cpus=cpus,
                    args=f'keel.test=blk keel.blk={name} keel.sha={SHA} keel.blk_end={end}',
                    extra='on_reset=restart' if end == 'reboot' else '')
    mods.append(f'{IMAGE} vm={name} disk')
    if ro_disk:
        mods.append(f'{IMAGE} vm={name} disk ro')
    return mods


def first_boot(name):
    """What blk.sh says on a VM's first boot, in order."""
    return [rf'\[{name}\] KEEL-LINUX: virtio modules loaded',
            rf'\[{name}\] KEEL-LINUX: blk vda 32768 sectors, serial disk\.img, ro 0',
            rf'\[{name}\] KEEL-LINUX: blk no written file yet',
            rf'\[{name}\] KEEL-LINUX: blk vda sha256 ok',
            rf'\[{name}\] KEEL-LINUX: blk fstrim ok',
            rf'\[{name}\] KEEL-LINUX: blk wrote a file']


RO = [r'KEEL-LINUX: blk vdb ro 1', r'KEEL-LINUX: blk vdb write refused',
      r'KEEL-LINUX: blk vdb sha256 ok']
# A wrong checksum, a failed mount, a write a read-only disk took, another VM's file, a device
# keel marked broken or a module that did not load.
REJECT = [r'sha256 is ', r'mount failed', r'write accepted', r'vdb has a written file',
          r'virtio-blk \d+: .*(broken|no room)', r'insmod .* failed', r'blk no written file$',
          r'I/O error', r'EXT4-fs error']


def define(boot, Fail):
    def ready():
        have_linux(boot.Skip)
        make_image(boot.Skip)

    # AMD-V under QEMU: two VMs on one image, each writing its name, rebooting under
    # on_reset=restart and finding its own file (never the other's); blk1 also has the image
    # as a read-only vdb.
    def found(name):
        return rf'\[{name}\] KEEL-LINUX: blk found the written file \(written by {name}\)'
    boot('linux/virtio-blk[svm]', '--smp', '2', '--mem', '1G',
         *blk_vm('blk1', 'reboot', ro_disk=True), *blk_vm('blk2', 'reboot'),
         ordered=first_boot('blk1') + [r'\[blk1\] ' + p for p in RO] +
         [r'\[blk1\] KEEL-LINUX: blk reboot', r'vm blk1: reset by the guest: restarting it',
          found('blk1'), r'\[blk1\] KEEL-LINUX: blk vda sha256 ok',
          r'vm blk1: powered off by the guest'],
         expect=first_boot('blk2') + [found('blk2'), r'vm blk2: powered off by the guest',
                                      r'keel: end of run, status 0'],
         reject=REJECT, timeout=400, cost=30, pre=ready)
    # VT-x: linux/virtio[vmx] (tests/suite_virtio.py), one Bochs boot for every device.
