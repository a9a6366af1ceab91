"""virtio-net on keel's switches (issue 14, items 4 and 7), with Debian's kernel and its
virtio_net module: two Linux VMs on switch lan find each other by their IPv6 link-local
addresses (derived from the mac= the test gives), ping each other and copy data with nc,
checked by SHA-256 at both ends; a third VM on switch other cannot reach them. The guest side
is tests/linux/net.sh (keel.test=net)."""
import re

from suite_linux import have_linux, linux_vm


def mac(n):
    return f'02:00:00:00:0a:{n:02x}'


def link_local(m):
    """The EUI-64 link-local address Linux gives a NIC with MAC m (RFC 4291, appendix A)."""
    b = [int(x, 16) for x in m.split(':')]
    b[0] ^= 2
    words = [b[0] << 8 | b[1], b[2] << 8 | 0xff, 0xfe << 8 | b[3], b[4] << 8 | b[5]]
    return 'fe80::' + ':'.join(f'{w:x}' for w in words)


def net_vm(name, n, role, peer, sw='lan', mib=16, mem='200M'):
    """A one-vCPU Linux VM with a NIC on switch sw, MAC mac(n), in part role against the VM
    whose NIC is mac(peer)."""
    args = (f'keel.test=net keel.net={role} keel.peer={link_local(mac(peer))} keel.mib={mib} '
            'keel.end=poweroff')
    return linux_vm(name, mem=mem, cpus=1, args=args, extra=f'net={sw} mac={mac(n)}')


def same_data(Fail, server, fetcher, size):
    """Both ends printed the same SHA-256, and the fetcher got every byte."""
    def check(text):
        sums = {}
        for vm in (server, fetcher):
            m = re.search(rf'\[{vm}\] KEEL-LINUX: net sha256 ([0-9a-f]{{64}})', text)
            if not m:
                raise Fail(f'vm {vm} printed no SHA-256')
            sums[vm] = m.group(1)
        if sums[server] != sums[fetcher]:
            raise Fail(f'{server} served {sums[server]}, {fetcher} got {sums[fetcher]}')
        got = re.search(rf'\[{fetcher}\] KEEL-LINUX: net fetched (\d+) bytes', text)
        if not got or int(got.group(1)) != size:
            raise Fail(f'{fetcher} fetched {got.group(1) if got else "nothing"}, not {size}')
    return check


# What no run may show: a failed ping, an isolated VM reaching out, a device keel gave up on.
REJECT = [r'KEEL-LINUX: net ping failed', r'KEEL-LINUX: net reached', r'KEEL-LINUX: net no eth0',
          r'warning: vm \w+: virtio-net', r'KEEL-LINUX: insmod .* failed']


def expect_pair(a, b):
    return [rf'vm {a}: virtio-net 0: {mac(1)} on switch lan',
            rf'vm {b}: virtio-net 0: {mac(2)} on switch lan',
            rf'\[{a}\] KEEL-LINUX: net ping ok', rf'\[{b}\] KEEL-LINUX: net ping ok',
            rf'\[{a}\] KEEL-LINUX: net served', rf'vm {a}: powered off by the guest',
            rf'vm {b}: powered off by the guest', r'summary: switch lan port ',
            r'keel: end of run, status 0']


def define(boot, Fail):
    def ready():
        have_linux(boot.Skip)

    # AMD-V under QEMU TCG: three VMs of one vCPU on two host CPUs; a and b copy 16 MiB, c is
    # alone on its own switch.
    boot('linux/virtio-net[svm]', '--smp', '2', '--mem', '1G',
         *net_vm('a', 1, 'serve', 2), *net_vm('b', 2, 'fetch', 1),
         *net_vm('c', 3, 'isolated', 1, sw='other'),
         expect=expect_pair('a', 'b') + [r'\[c\] KEEL-LINUX: net isolated',
                                          r'vm c: powered off by the guest'],
         reject=REJECT, check=same_data(Fail, 'a', 'b', 16 << 20),
         timeout=600, cost=40, pre=ready)
    # VT-x under Bochs: two VMs on one host CPU, ping and the same 16 MiB copy (3 min 45 s in
    # all on an idle machine, against 1 min 30 s for a 1 MiB copy).
    boot('linux/virtio-net[vmx]', '--emulator', 'bochs', '--mem', '512M',
         *net_vm('a', 1, 'serve', 2, mem='160M'), *net_vm('b', 2, 'fetch', 1, mem='160M'),
         expect=expect_pair('a', 'b'), reject=REJECT, check=same_data(Fail, 'a', 'b', 16 << 20),
         timeout=900, cost=250, needs=['grub-mkrescue'], pre=ready)
