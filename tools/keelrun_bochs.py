"""Bochs for tools/keel-run: its bochsrc and command, the pseudo-terminal bridges that serve
its COM2 and COM3 as Unix sockets, and the wire that joins two Bochs machines (README "Two
Bochs machines on one wire"). Also the MACs and ports that --net-listen/--net-connect name,
which QEMU's NIC uses too."""
import os, select, socket, subprocess, tempfile, threading, time, tty


def net_mac(a):
    """The host NIC's MAC: one per wire end, so two keels on one wire never share one."""
    return '52:54:00:4b:00:01' if a.net_listen else '52:54:00:4b:00:02'


def net_port(a):
    return int((a.net_listen or a.net_connect).rsplit(':', 1)[1])


def wire_pidfile(port):
    return os.path.join(tempfile.gettempdir(), f'keel-run-wire-{os.getuid()}-{port}.pid')


# The wire's namespace: two persistent taps on a bridge, none of them with an address (IPv6's
# link-local one off too, so the kernel sends nothing of its own), then a process that holds it.
WIRE_SETUP = """set -e
ip link set lo up
ip link add kbr type bridge
ip link set kbr addrgenmode none
for t in kt0 kt1; do
  ip tuntap add dev $t mode tap
  ip link set $t addrgenmode none
  ip link set $t master kbr
  ip link set $t up
done
ip link set kbr up
exec sleep infinity
"""


def bochs_wire(a):
    """--net-listen under Bochs: the wire is a private user and network namespace (unshare) in
    which a bridge joins two taps, kt0 for this side's Bochs and kt1 for the peer's; both Bochs
    enter it (by the holder's pid, written where --net-connect 127.0.0.1:PORT finds it). The
    namespace has no interface to the outside, so no frame leaves it, and nothing in it has an
    IP address or a socket. PORT names the wire; no port is opened. Returns the holder's
    Popen. (Not bxhub: README "Two Bochs machines on one wire".)"""
    port = net_port(a)
    # setpriv: the holder is killed with keel-run, even by a SIGKILL that skips run's finally
    # As root a network namespace alone will do (and a user namespace is refused inside a
    # chroot, as in tools/fresh-check); anyone else needs a user namespace to own it.
    userns = [] if os.geteuid() == 0 else ['--user', '--map-root-user']
    holder = subprocess.Popen(['setpriv', '--pdeathsig', 'KILL', 'unshare', *userns,
                               '--net', 'sh', '-c', WIRE_SETUP],
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    until = time.monotonic() + 10
    while True:  # set up once the shell has become sleep, in a namespace never ours
        try:
            comm = open(f'/proc/{holder.pid}/comm').read().strip()
            ns = os.readlink(f'/proc/{holder.pid}/ns/net')
        except OSError:
            comm = ns = ''
        if comm == 'sleep' and ns != os.readlink('/proc/self/ns/net'):
            break
        if holder.poll() is not None or time.monotonic() > until:
            holder.kill()
            err = holder.stderr.read().decode(errors='replace').strip()
            raise SystemExit(f'keel-run: no wire for --emulator bochs (unshare, ip, a bridge '
                             f'and taps in a user namespace): {err}')
        time.sleep(0.05)
    with open(wire_pidfile(port), 'w') as f:
        f.write(f'{holder.pid}\n')
    return holder


def bochs_netns(a):
    """The command prefix that puts Bochs into the wire's namespace; [] without --net-*."""
    if not (a.net_listen or a.net_connect):
        return []
    path = wire_pidfile(net_port(a))
    until = time.monotonic() + 30
    while True:
        try:  # a live holder (a SIGKILLed keel-run leaves its file behind)
            pid = int(open(path).read())
            if (open(f'/proc/{pid}/comm').read().strip() == 'sleep' and
                    os.readlink(f'/proc/{pid}/ns/net') != os.readlink('/proc/self/ns/net')):
                break
        except (OSError, ValueError):
            pass
        if time.monotonic() > until:
            raise SystemExit(f'keel-run: no wire for {a.net_listen or a.net_connect}: '
                             'start the --net-listen side first')
        time.sleep(0.2)
    userns = [] if os.geteuid() == 0 else ['--user', '--preserve-credentials']
    return ['nsenter', '-t', str(pid), '--net', *userns]


def bochs_nic(a):
    """Bochs' e1000 on its side's tap (ethmod=tuntap attaches to the persistent tap named
    after the colon). With a NIC, bochsrc's clock follows the host's (sync=realtime):
    otherwise an idle Bochs runs its guest time far ahead of a busy one's (it still does,
    less: keel's link judges a peer by unanswered probes, not by one clock against
    another)."""
    if not (a.net_listen or a.net_connect):
        return ''
    tap = 'kt0' if a.net_listen else 'kt1'
    return f'e1000: enabled=1, mac={net_mac(a)}, ethmod=tuntap, ethdev=/dev/net/tun:{tap}\n'


def api_bridge(master, path, credit=False):
    """Bochs' COM2 or COM3 on a pseudo-terminal, served as a Unix socket at path (a thread):
    one client at a time; what keel writes while none is connected is dropped, as QEMU does,
    and is read as soon as it comes (a full pseudo-terminal makes Bochs drop output). Bochs
    drops what overflows the UART's 16-byte FIFO, so keel writes XON (0x11, taken out here) as
    it takes bytes: api_flow=xon once per 8-byte batch (or a second without: the next goes);
    credit (gdb_flow=xon: the stub reads its UART between CPU 0's time slices) once per
    GDB_XON_BYTES, GDB_WINDOW unacknowledged at most, all lost after GDB_STALL_S without."""
    GDB_XON_BYTES, GDB_WINDOW, GDB_STALL_S = 4, 12, 5.0
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)
    client, queue, sent = None, b'', None
    unacked, last_xon = 0, time.monotonic()  # credit: bytes sent and not yet acknowledged
    while True:
        fds = [master, srv] + ([client] if client else [])
        try:
            ready, _, _ = select.select(fds, [], [], 0.05 if queue else None)
        except (OSError, ValueError):
            return
        if srv in ready:
            if client:
                client.close()
            client, _ = srv.accept()
            queue = b''  # bytes in flight stay unacknowledged until keel has taken them
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # Bochs has gone
                return
            if b'\x11' in data:
                sent, last_xon = None, time.monotonic()
                unacked = max(0, unacked - GDB_XON_BYTES * data.count(b'\x11'))
                data = data.replace(b'\x11', b'')
            if client and data:
                try:
                    client.sendall(data)
                except OSError:
                    client.close()
                    client = None
        if client and client in ready:
            try:
                data = client.recv(65536)
            except OSError:  # the client went away with bytes unread (a reset)
                data = b''
            queue += data
            if not data:
                client.close()
                client = None
        if credit:
            if unacked and time.monotonic() - last_xon > GDB_STALL_S:
                unacked = 0
            n = min(len(queue), GDB_WINDOW - unacked)
        else:
            n = 8 if queue and (sent is None or time.monotonic() - sent > 1.0) else 0
        if n > 0:
            last_xon = last_xon if unacked else time.monotonic()  # the wait for an XON
            try:
                n = os.write(master, queue[:n])
            except BlockingIOError:
                n = 0
            queue, sent, unacked = queue[n:], time.monotonic(), unacked + n


def bochs_command(a, tmp, build_iso):
    """Bochs' command line and COM1's pseudo-terminal (master, slave); build_iso(path, keel,
    cmdline, modules, multiboot=) makes the GRUB ISO it boots."""
    iso = os.path.join(tmp, 'keel.iso')
    cmdline = f'{a.cmdline} api_flow=xon'.strip() if a.api else a.cmdline  # api_bridge's
    cmdline += ' gdb_flow=xon' if a.gdb_guest else ''  # api_bridge's pacing of gdb's bytes
    build_iso(iso, a.keel, cmdline, a.modules, multiboot=a.multiboot)
    # COM1 on a pseudo-terminal in raw mode: Bochs polls it for input at the line rate
    # (its socket mode looks for input about once a second).
    master, slave = os.openpty()
    tty.setraw(slave)
    api_rc = ''
    if a.gdb_guest:  # COM3 the same way, for keel's gdb stub (gdb=ttyS2, added below)
        gdb_master, gdb_slave = os.openpty()
        tty.setraw(gdb_slave)
        os.set_blocking(gdb_master, False)
        api_rc += f'com3: enabled=1, mode=term, dev={os.ttyname(gdb_slave)}\n'
        threading.Thread(target=api_bridge, args=(gdb_master, a.gdb_guest, True),
                         daemon=True).start()
    if a.api:  # COM2 on a second pseudo-terminal, bridged to the socket by a thread
        api_master, api_slave = os.openpty()
        tty.setraw(api_slave)
        os.set_blocking(api_master, False)  # the bridge never waits on Bochs
        api_rc += f'com2: enabled=1, mode=term, dev={os.ttyname(api_slave)}\n'
        threading.Thread(target=api_bridge, args=(api_master, a.api), daemon=True).start()
    rc = f"""megs: {a.mem}
cpu: model={a.cpu or 'corei7_skylake_x'}, count={a.smp}, ips=200000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path={iso}, status=inserted
boot: cdrom
panic: action=fatal
error: action=report
magic_break: enabled=0
display_library: rfb, options="timeout=0"
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
speaker: enabled=0
mouse: enabled=0, type=ps2
com1: enabled=1, mode=term, dev={os.ttyname(slave)}
{api_rc}{bochs_nic(a)}clock: sync={'realtime' if bochs_nic(a) else 'none'}, time0=local
log: {os.path.join(tmp, 'bochs.log')}
"""
    with open(os.path.join(tmp, 'bochsrc'), 'w') as f:
        f.write(rc)
    with open(os.path.join(tmp, 'cont.rc'), 'w') as f:
        f.write('c\n')
    return (bochs_netns(a) + ['bochs', '-q', '-f', os.path.join(tmp, 'bochsrc'), '-rc',
             os.path.join(tmp, 'cont.rc')], (master, slave))
