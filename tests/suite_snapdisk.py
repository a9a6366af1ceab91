"""Snapshots of VMs with writable disks (issue 15): a guest (tests/guests/diskrw.c) writes
generation 1 of a pattern to sectors of its virtio-blk disk, is snapshotted, writes generation 2,
and is rolled back: it reads generation 1 again (its `PASS: round N: the disk holds generation 1`
lines; a disk left as it was would make it print BAD), then writes generation 2 anew. A clone of
the snapshot reads generation 1 from its own overlay while the VM goes on with 2. Both backends.
An export of such a VM starts in another keel run with the same disk module (svm), and a file
whose disk record names a module keel lacks is refused with a reason."""
import os
import re
import struct
import subprocess
import zlib

import suite_vmctl as vmctl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DISKRW = os.path.join(ROOT, 'build', 'guests', 'diskrw.elf')
DISK = os.path.join(ROOT, 'build', 'guests', 'diskrw.img')
LOGS = os.path.join(ROOT, 'build', 'test-logs')
ROUND = r'\[{vm}\] PASS: round (\d+): the disk holds generation {gen}'


def make_disk():
    """A 1 MiB disk of zeros: no generation of the pattern."""
    if not os.path.exists(DISK):
        os.makedirs(os.path.dirname(DISK), exist_ok=True)
        with open(DISK, 'wb') as f:
            f.write(bytes(1 << 20))


def vm_args(name):
    return [f'{DISKRW} vm={name} mem=16M cmdline="switch=10"', f'{DISK} vm={name} disk']


def no_bad(run):
    m = re.search(r'^.*BAD$', run.text(), re.M)
    if m:
        raise run.Fail(f'a guest saw the wrong disk: {m.group(0)!r}')


def rollback(run):
    run.wait(ROUND.format(vm='c', gen=1) + '\n')
    run.wait(r'\[c\] PASS: round 2: ')
    run.cmd('snapshot-save', vm='c', tag='s1')
    snaps = run.cmd('query-snapshots')
    if snaps[0].get('disk-blocks-held', 0) < 3:
        raise run.Fail(f'query-snapshots: {snaps}: the disk\'s written blocks are not held')
    saved = run.wait(r'vm c: snapshot s1 taken').end()
    m = run.wait(r'\[c\] diskrw: wrote generation 2')
    if m.start() < saved:
        raise run.Fail('the snapshot came after generation 2 was written (a slow API?)')
    run.wait(ROUND.format(vm='c', gen=2), after=m.end())
    run.cmd('snapshot-load', vm='c', tag='s1')
    mark = run.wait(r'vm c: rolled back to snapshot s1').end()
    m = run.wait(r'\[c\] (PASS: )?round (\d+): the disk holds generation (\d)', after=mark)
    if m.group(3) != '1' or not m.group(1):
        raise run.Fail(f'after the rollback: {m.group(0)!r}, expected generation 1')
    m = run.wait(r'\[c\] diskrw: wrote generation 2', after=mark)
    run.wait(ROUND.format(vm='c', gen=2), after=m.end())
    # a clone starts from the snapshot's disk, its own: generation 1 while c holds 2
    mark = len(run.text())
    run.cmd('vm-clone', vm='c', tag='s1', name='d')
    run.wait(ROUND.format(vm='d', gen=1), after=mark)
    run.wait(ROUND.format(vm='c', gen=2), after=mark)
    m = run.wait(r'\[d\] diskrw: wrote generation 2', after=mark)
    run.wait(ROUND.format(vm='d', gen=2), after=m.end())
    # rolled back again: the snapshot's disk is still generation 1
    run.cmd('snapshot-load', vm='c', tag='s1')
    mark = run.wait(r'vm c: rolled back to snapshot s1', after=mark).end()
    run.wait(ROUND.format(vm='c', gen=1), after=mark)
    run.cmd('snapshot-delete', vm='c', tag='s1')
    for vm in ('d', 'c'):
        run.cmd('system_powerdown', vm=vm)
        run.wait(rf'vm {vm}: powered off by the guest')
    no_bad(run)
    run.finish(0)


def ctl(run, *args):
    r = subprocess.run([vmctl.KEEL_CTL, run.sock, *args], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=600)
    with open(run.log[:-4] + '.ctl.log', 'a', encoding='utf-8') as f:
        f.write(f'$ {" ".join(args)}\n{r.stdout}(exit {r.returncode})\n')
    return r


def foreign_disk(path, out):
    """path's file with its disk record's module length one sector longer (CRC'd again)."""
    data = bytearray(open(path, 'rb').read())
    at = 0
    while at < len(data):
        _, typ, _, n, _ = struct.unpack_from('<IHHII', data, at)
        if typ == 6:  # DISK: len at 0x08 of the payload
            p = at + 16
            struct.pack_into('<Q', data, p + 8, struct.unpack_from('<Q', data, p + 8)[0] + 512)
            struct.pack_into('<I', data, at + 12, zlib.crc32(bytes(data[p:p + n])))
        at += 16 + n
    with open(out, 'wb') as f:
        f.write(data)


def export_import(boot, Fail):
    g = boot.__globals__

    def fn():
        g['need']('qemu-system-x86_64')
        make_disk()
        path = os.path.join(LOGS, 'snap_disk_export.ksnap')
        bad = path + '.foreign-disk'
        a = vmctl.Run(g, 'snap/disk-export[svm-out]', vm_args('c'), 120, Fail)
        try:
            a.wait(r'\[c\] PASS: round 2: ')
            a.cmd('snapshot-save', vm='c', tag='s1')
            a.wait(r'\[c\] diskrw: wrote generation 2')
            r = ctl(a, 'export', 'vm=c', 'tag=s1', path)
            if r.returncode != 0 or not os.path.exists(path):
                raise Fail(f'export failed: {r.stdout.strip()}')
            no_bad(a)
        finally:
            a.kill()
        foreign_disk(path, bad)
        b = vmctl.Run(g, 'snap/disk-export[svm-in]', [f'{path} vm=x', f'{DISK} vm=x disk'],
                      120, Fail)
        try:
            b.wait(r'vm x: imported from snapshot s1 of vm c')
            m = b.wait(r'\[x\] (PASS: )?round (\d+): the disk holds generation (\d)')
            if m.group(3) != '1' or not m.group(1):
                raise Fail(f'the import: {m.group(0)!r}, expected generation 1')
            m = b.wait(r'\[x\] diskrw: wrote generation 2')
            b.wait(ROUND.format(vm='x', gen=2), after=m.end())
            r = ctl(b, 'import', 'name=y', bad)
            if r.returncode == 0 or 'disk modules' not in r.stdout:
                raise Fail(f'a file whose disk keel lacks: {r.stdout.strip()}')
            no_bad(b)
        finally:
            b.kill()
    g['TESTS'].append(g['Test']('snap/disk-export[svm]', fn, 4))


def define(boot, Fail):
    args = vm_args('c')
    vmctl.api_test(boot, Fail, 'snap/disk[svm]', args, rollback, 120, False, pre=make_disk)
    vmctl.api_test(boot, Fail, 'snap/disk[vmx]', args, rollback, 400, True, pre=make_disk,
                   cost=12)
    export_import(boot, Fail)
