"""Snapshots through the management API (issue 15, items 3-5): a counting guest
(tests/guests/counter.c: `tick N csum X ok`, its 4 MiB area rewritten a page per tick) is
snapshotted, changes its memory, is rolled back (the next tick is the snapshot's next one with
the very checksum it printed the first time: its memory and counter equal the snapshot's), rolled
back again (only the pages written since), cloned (both copies go on, each under its own name),
and the snapshot deleted; bad requests get an error and change nothing. A snapshot exported
from a QEMU (AMD-V) run starts in a Bochs (VT-x) run and goes on, and one exported from Bochs
goes on in QEMU; truncated, corrupted and foreign files are refused. A Linux VM (both backends)
is snapshotted after boot, rolled back after writing a file (the file is gone), and its shell still answers
with a working clock (sleep 1). A Linux VM with console=virtio (snap/console, both backends) is snapshotted
while it waits for a line on hvc0 with another line begun there, reads one and finishes the
begun line, is rolled back, reads another and finishes the begun line again: its virtio
console, the transport and the console's own record (the line not yet logged), comes back as
the driver left it."""
import json
import os
import re
import subprocess
import time

import suite_vmctl as vmctl
from suite_linux import INITRD, KERNEL, have_linux, linux_vm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COUNTER = vmctl.COUNTER
LOGS = os.path.join(ROOT, 'build', 'test-logs')
TICK = r'^\[[^]]*\] \[{vm}\] tick (\d+) csum ([0-9a-f]{{8}}) ok$'


def tick_lines(text, vm, after=0):
    """[(n, csum)] of vm's tick lines after position after."""
    return [(int(n), c) for n, c in re.findall(TICK.format(vm=vm), text[after:], re.M)]


def first_tick_after(run, vm, mark):
    m = run.wait(TICK.format(vm=vm), after=mark)
    return int(m.group(1)), m.group(2)


def expect_rollback(run, vm, history, mark, saved_at):
    """The first tick vm prints after mark is one the snapshot's timeline printed (the one at
    the snapshot, if its line was still in the UART, or the next), with the same checksum."""
    n, csum = first_tick_after(run, vm, mark)
    if n not in (saved_at, saved_at + 1):
        raise run.Fail(f'{vm}: first tick after the rollback is {n}, expected {saved_at} or '
                       f'{saved_at + 1}')
    if history.get(n) != csum:
        raise run.Fail(f'{vm}: tick {n} has checksum {csum}, the snapshot\'s timeline printed '
                       f'{history.get(n)}: its memory is not the snapshot\'s')
    return n


def saved_tick(run, tag, vm='c'):
    """The last tick vm printed before keel logged the snapshot."""
    m = run.wait(rf'vm {vm}: snapshot {tag} taken')
    done = tick_lines(run.text()[:m.start()], vm)
    return done[-1][0]


def rollback(run):
    run.wait(r'\[c\] tick 3 csum')
    r = run.cmd('snapshot-save', vm='c', tag='s1')
    if r.get('tag') != 's1' or 'time-us' not in r:
        raise run.Fail(f'snapshot-save replied {r}')
    at = saved_tick(run, 's1')
    run.wait(rf'\[c\] tick {at + 8} csum')
    history = dict(tick_lines(run.text(), 'c'))
    # bad requests: an error each, and nothing changes
    run.cmd('snapshot-save', ok=False, vm='c', tag='s1')         # the tag exists
    run.cmd('snapshot-save', ok=False, vm='nosuchvm', tag='x')
    run.cmd('snapshot-save', ok=False, vm='c', tag='a b')        # a space in the tag
    run.cmd('snapshot-load', ok=False, vm='c', tag='nosuch')
    run.cmd('vm-clone', ok=False, vm='c', tag='s1', name='c')    # the name exists
    run.cmd('vm-clone', ok=False, vm='c', tag='s1', name='bad/name')
    snaps = run.cmd('query-snapshots')
    if [s['tag'] for s in snaps] != ['s1']:
        raise run.Fail(f'query-snapshots: {snaps}')
    # the first rollback: every page written since the snapshot
    first = run.cmd('snapshot-load', vm='c', tag='s1')
    mark = run.wait(r'vm c: rolled back to snapshot s1').end()
    expect_rollback(run, 'c', history, mark, at)
    run.wait(rf'\[c\] tick {at + 3} csum', after=mark)
    # again: only the pages written since the last rollback
    again = run.cmd('snapshot-load', vm='c', tag='s1')
    mark = run.wait(r'vm c: rolled back to snapshot s1', after=mark).end()
    expect_rollback(run, 'c', history, mark, at)
    if not again['pages-restored'] < first['pages-restored']:
        raise run.Fail(f'a second rollback restored {again["pages-restored"]} pages, the first '
                       f'{first["pages-restored"]}: it should reset only what changed since')
    # a clone goes on from the snapshot under its own name, and c goes on too
    mark = len(run.text())
    run.cmd('vm-clone', vm='c', tag='s1', name='d')
    expect_rollback(run, 'd', history, mark, at)
    n, _ = first_tick_after(run, 'c', len(run.text()))
    run.wait(rf'\[c\] tick {n + 2} csum')
    run.wait(rf'\[d\] tick {at + 4} csum', after=mark)
    vms = {v['name']: v for v in run.cmd('query-vms')}
    if list(vms) != ['c', 'd']:
        raise run.Fail(f'query-vms names {list(vms)}, expected c and d')
    expect_shared(run, vms['d'])
    # a clone of the clone shares too, and rolls back on its own
    run.cmd('snapshot-save', vm='d', tag='t')
    run.cmd('vm-clone', vm='d', tag='t', name='e')
    run.cmd('snapshot-load', vm='d', tag='t')
    mark = len(run.text())
    for vm in ('c', 'd', 'e'):
        n, _ = first_tick_after(run, vm, mark)
        run.wait(rf'\[{vm}\] tick {n + 2} csum ([0-9a-f]{{8}}) ok', after=mark)
    expect_shared(run, {v['name']: v for v in run.cmd('query-vms')}['e'])
    # a clone's snapshot exports whole (its shared pages too) and imports as a VM that goes on
    # (under QEMU: Bochs' API is too slow to stream megabytes, README "Snapshots")
    qemu = '_vmx_' not in os.path.basename(run.log)
    if qemu:
        path = os.path.join(LOGS, 'snap_rollback_clone.ksnap')
        export_file(run, path, vm='d', tag='x')
        import_file(run, 'f', path)
        run.wait(r'\[f\] tick \d+ csum [0-9a-f]{8} ok$', after=mark)
    clones = ('d', 'e', 'f') if qemu else ('d', 'e')
    # delete: gone, and a load of it is an error
    run.cmd('snapshot-delete', vm='c', tag='s1')
    if sorted(s['tag'] for s in run.cmd('query-snapshots')) != ['t', 'x'][:1 + qemu]:
        raise run.Fail('query-snapshots lists a deleted snapshot')
    run.cmd('snapshot-load', ok=False, vm='c', tag='s1')
    # the clones outlive the VM they came from: the frames they share stay theirs
    run.cmd('vm-destroy', vm='c')
    mark = len(run.text())
    for vm in clones:
        n, _ = first_tick_after(run, vm, mark)
        run.wait(rf'\[{vm}\] tick {n + 3} csum ([0-9a-f]{{8}}) ok', after=mark)
    for vm in reversed(clones):
        run.cmd('system_powerdown', vm=vm)
        run.wait(rf'vm {vm}: powered off by the guest')
    run.finish(0)


def expect_shared(run, vm):
    """A fresh clone of the 16 MiB guest holds privately only the pages it wrote since."""
    own, shared = vm.get('pages-private'), vm.get('pages-shared')
    if own is None or shared is None or own + shared != vm['memory'] // 4096:
        raise run.Fail(f'query-vms: {vm["name"]} reports pages {own} private, {shared} shared')
    if own * 8 > vm['memory'] // 4096:
        raise run.Fail(f'{vm["name"]}: {own} private pages of {vm["memory"] // 4096}: '
                       f'a clone should share the pages it has not written')


def export_file(run, path, vm='c', tag='s1'):
    """snapshot-save, then snapshot-export into path: the tick it was taken after, and the
    checksums of the ticks that followed."""
    run.cmd('snapshot-save', vm=vm, tag=tag)
    at = saved_tick(run, tag, vm)
    run.wait(rf'\[{vm}\] tick {at + 3} csum')
    history = dict(tick_lines(run.text(), vm))
    r = subprocess.run([vmctl.KEEL_CTL, run.sock, 'export', f'vm={vm}', f'tag={tag}', path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    if r.returncode != 0 or not os.path.exists(path):
        raise run.Fail(f'export failed: {r.stdout.strip()}')
    return at, history


def import_file(run, name, path, ok=True):
    r = subprocess.run([vmctl.KEEL_CTL, run.sock, 'import', f'name={name}', path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    with open(run.log[:-4] + '.ctl.log', 'a', encoding='utf-8') as f:
        f.write(f'$ import name={name} {path}\n{r.stdout}(exit {r.returncode})\n')
    if ok != (r.returncode == 0):
        raise run.Fail(f'import of {os.path.basename(path)}: {r.stdout.strip()}')
    return r.stdout


def bad_files(path):
    """A truncated, a corrupted and a foreign copy of the file at path."""
    data = open(path, 'rb').read()
    out = {}
    for kind, bad in (('truncated', data[:len(data) // 2]),
                      ('corrupted', data[:5000] + bytes([data[5000] ^ 0x20]) + data[5001:]),
                      ('foreign', open(COUNTER, 'rb').read()[:8192])):
        out[kind] = path + '.' + kind
        with open(out[kind], 'wb') as f:
            f.write(bad)
    return out


def export_import(run):
    """Export, refuse three bad files with a reason (nothing changes), import the good one in
    the same run as a new VM that goes on from the snapshot."""
    run.wait(r'\[c\] tick 3 csum')
    path = run.log[:-4] + '.ksnap'
    at, history = export_file(run, path)
    for kind, bad in bad_files(path).items():
        out = import_file(run, 'x', bad, ok=False)
        if 'import refused' not in out and 'not base64' not in out:
            raise run.Fail(f'a {kind} file: {out.strip()}')
    names = [v['name'] for v in run.cmd('query-vms')]
    if names != ['c']:
        raise run.Fail(f'a refused import left VMs behind: {names}')
    mark = len(run.text())
    import_file(run, 'x', path)
    expect_rollback(run, 'x', history, mark, at)
    for vm in ('x', 'c'):
        run.cmd('system_powerdown', vm=vm)
        run.wait(rf'vm {vm}: powered off by the guest')
    run.finish(0)


def cross(boot, Fail):
    """AMD-V to VT-x and back: a QEMU run exports a snapshot; a Bochs run starts it from its
    boot module, exports a snapshot of it in turn; a QEMU run starts that one."""
    g = boot.__globals__

    def fn():
        g['need']('qemu-system-x86_64', 'bochs', 'grub-mkrescue')
        path = os.path.join(LOGS, 'snap_cross_svm.ksnap')
        back = os.path.join(LOGS, 'snap_cross_vmx.ksnap')
        q = vmctl.Run(g, 'snap/cross[svm-out]', [f'{COUNTER} vm=c mem=16M'], 120, Fail)
        try:
            q.wait(r'\[c\] tick 3 csum')
            at, history = export_file(q, path)
        finally:
            q.kill()
        b = vmctl.Run(g, 'snap/cross[vmx]', ['--emulator', 'bochs', f'{path} vm=x'], 600, Fail)
        try:
            b.wait(r'vm x: imported from snapshot s1 of vm c')
            expect_rollback(b, 'x', history, 0, at)
            b.wait(rf'\[x\] tick {at + 3} csum')
            at2, history2 = export_file(b, back, vm='x', tag='s2')
        finally:
            b.kill()
        q = vmctl.Run(g, 'snap/cross[svm-back]', [f'{back} vm=y'], 120, Fail)
        try:
            q.wait(r'vm y: imported from snapshot s2 of vm x')
            expect_rollback(q, 'y', history2, 0, at2)
            q.wait(rf'\[y\] tick {at2 + 3} csum')
        finally:
            q.kill()
    g['TESTS'].append(g['Test']('snap/cross[svm,vmx]', fn, 15))


# The Linux VM's script (tests/linux/snap.sh) waits for a line before and after writing a file;
# keel-run types 'go' when keel logs each step, so the test needs no terminal.
LINUX_SENDS = ['--send', r'vm l: snapshot s1 taken=go\r', '--send',
               r'vm l: rolled back to snapshot s1=go\r', '--send', r'vm l: snapshot s2 taken=go\r']


def linux(run):
    run.wait(r'\[l\] snap: ready', timeout=run.timeout)
    run.cmd('snapshot-save', vm='l', tag='s1')
    run.wait(r'\[l\] snap: wrote \[f\]')
    run.cmd('snapshot-load', vm='l', tag='s1')
    mark = run.wait(r'vm l: rolled back to snapshot s1').end()
    run.wait(r'\[l\] snap: before \[\]', after=mark)  # the file is gone
    run.wait(r'\[l\] snap: wrote \[f\]', after=mark)
    run.cmd('snapshot-save', vm='l', tag='s2')
    run.wait(r'\[l\] snap: slept 1 second, up [\d.]+', after=mark)
    run.wait(r'vm l: powered off by the guest')


CONSOLE_SENDS = ['--send', r'vm h: snapshot s1 taken=hello from keel\r', '--send',
                 r'vm h: rolled back to snapshot s1=again from keel\r']


def console(run):
    """hvc0 reads a line before the rollback and another after it."""
    run.wait(r'\[h\] KEEL-LINUX: type on hvc0', timeout=run.timeout)
    run.cmd('snapshot-save', vm='h', tag='s1')
    run.wait(r"^\[[^]]*\] \[h\] KEEL-HVC: begun before, KEEL-HVC: echo 'hello from keel'$")
    run.cmd('snapshot-load', vm='h', tag='s1')
    mark = run.wait(r'vm h: rolled back to snapshot s1').end()
    # The line begun before the snapshot was in the console's record: it is finished again.
    run.wait(r"^\[[^]]*\] \[h\] KEEL-HVC: begun before, KEEL-HVC: echo 'again from keel'$",
             after=mark)
    run.wait(r'\[h\] KEEL-LINUX: a shell on ttyS0', after=mark)
    if re.search(r'vm h: virtio-console \d+: ', run.text()):
        raise run.Fail('the console needed a reset')


def define(boot, Fail):
    c = f'{COUNTER} vm=c mem=16M'
    vmctl.both(boot, Fail, 'snap/rollback', [c], rollback)
    vmctl.api_test(boot, Fail, 'snap/export-import[svm]', [c], export_import, 240, False)
    cross(boot, Fail)
    args = ['--mem', '512M', *LINUX_SENDS,
            *linux_vm('l', cpus=2, args='keel.test=snap keel.end=poweroff')]
    vmctl.api_test(boot, Fail, 'snap/linux[svm]', args, linux, 300, False,
                   pre=lambda: have_linux(boot.Skip), cost=15)
    vmctl.api_test(boot, Fail, 'snap/linux[vmx]', ['--emulator', 'bochs', *args], linux, 600,
                   True, pre=lambda: have_linux(boot.Skip), cost=40)
    cmdline = 'console=ttyS0 keel.test=console keel.halfline keel.end=shell'  # alive after
    args = ['--mem', '512M', *CONSOLE_SENDS,
            f'{KERNEL} vm=h mem=200M cpus=1 rng=no console=virtio cmdline="{cmdline}"',
            f'{INITRD} vm=h initrd']
    vmctl.api_test(boot, Fail, 'snap/console[svm]', args, console, 300, False,
                   pre=lambda: have_linux(boot.Skip), cost=15)
    vmctl.api_test(boot, Fail, 'snap/console[vmx]', ['--emulator', 'bochs', *args], console,
                   600, True, pre=lambda: have_linux(boot.Skip), cost=40)
