"""Boots of keel with no guests (but one): every boot path, the command line, the exception report and
keel's own memory protections (issue 2)."""
import os

HELLO32 = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'build',
                       'guests', 'hello32.elf')
HELLO = os.path.join(os.path.dirname(HELLO32), 'hello.elf')

READY = r'keel: ready, \d+ CPUs?, \d+ KiB free'
END0 = r'keel: end of run, status 0'
REPORT = [r'error: exception \d+ \(', r'error: rip [0-9a-f]{16} cs', r'error: rax ',
          r'error: r13 ', r'error: cr0 [0-9a-f]+ cr2 [0-9a-f]+ cr3 [0-9a-f]+ cr4 [0-9a-f]+ efer',
          r'error: backtrace', r'error:   #0 0x', r'keel: end of run, status 2']
OVMF = '/usr/share/OVMF/OVMF_CODE_4M.fd'


def define(boot, Fail):
    # The four ways keel is loaded. Each reaches its ready line and ends with status 0.
    boot('boot/qemu-kernel', '--boot', 'kernel',
         ordered=[r'keel 0\.\d+: a minimal hypervisor', r'boot: multiboot via qemu',
                  r'acpi: revision', r'mm: \d+ MiB of RAM', r'timer: TSC',
                  r'cpu: virtualisation: AMD-V with nested paging', READY,
                  r'keel: nothing to run', END0])
    boot('boot/qemu-bios-iso', '--boot', 'bios',
         expect=[r'boot: multiboot2 via GRUB', READY, END0], needs=['grub-mkrescue'])
    # GRUB's multiboot (v1) command reads the a.out kludge header of the same file; the
    # module and its string arrive through the v1 information.
    boot('boot/qemu-bios-iso-multiboot1', '--boot', 'bios', '--multiboot', '1',
         f'{HELLO32} vm=h mem=16M cmdline="a b"',
         ordered=[r'boot: multiboot via GRUB', r'boot: module 0 at 0x[0-9a-f]+, \d+ bytes: '
                  r'"hello32.elf vm=h mem=16M cmdline="a b""', READY,
                  r'\[h\] cmdline: hello32.elf a b', END0], needs=['grub-mkrescue'])
    boot('boot/qemu-uefi-iso', '--boot', 'uefi',
         expect=[r'boot: multiboot2 via GRUB', r'acpi: revision 2', READY, END0],
         needs=['grub-mkrescue', OVMF], timeout=90, cost=6)
    boot('boot/bochs-iso', '--emulator', 'bochs',
         expect=[r'boot: multiboot2 via GRUB', r'cpu: VT-x present: EPT yes',
                 r'cpu: virtualisation: VT-x with EPT and unrestricted guest', READY, END0],
         needs=['grub-mkrescue'], timeout=120)

    # QEMU's q35 (ICH9, PCIe): host PCI configuration through ECAM (ACPI MCFG), a guest runs.
    boot('boot/qemu-q35', '--machine', 'q35', f'{HELLO} vm=h',
         ordered=[r'acpi: revision', r'hpci: \d+ host PCI functions? through ECAM \(ACPI MCFG\)',
                  READY, r'\[h\] hello from a 64-bit guest', END0],
         reject=[r'error: '])

    # Memory: what the map offers is what keel manages, in any size of machine.
    def mem_between(lo, hi):
        def check(text):
            import re
            m = re.search(r'mm: \d+ MiB of RAM in the map, (\d+) MiB free', text)
            if not m or not lo <= int(m.group(1)) <= hi:
                raise Fail(f'free memory {m and m.group(1)} MiB not in [{lo}, {hi}]')
        return check
    boot('boot/mem-64M', '--mem', '64M', expect=[READY, END0], check=mem_between(55, 63))
    boot('boot/mem-3G', '--mem', '3G', expect=[READY, END0], check=mem_between(2800, 3072))
    boot('boot/mem-6G', '--mem', '6G', expect=[READY, END0, r'top 0x1[0-9a-f]{8}'],
         check=mem_between(5800, 6144))
    # keel-run --ram prealloc (the disk bench's memory): QEMU's RAM touched in full first.
    boot('boot/ram-prealloc', '--mem', '512M', '--ram', 'prealloc', f'{HELLO} vm=h',
         ordered=[READY, r'\[h\] hello from a 64-bit guest', END0], reject=[r'error: '],
         check=mem_between(480, 512))
    boot('boot/smp-4-acpi', '--smp', '4', expect=[r'acpi: .* 4 CPUs', READY, END0])

    # The command line: bad options are named and ignored, keel carries on.
    boot('cmdline/unknown-and-malformed', '--cmdline',
         'frobnicate=1 loglevel=loud console=ttyS0,12345 exit=never "oops',
         expect=[r"error: cmdline: unknown option 'frobnicate=1' ignored",
                 r"error: cmdline: bad value in 'loglevel=loud'",
                 r"error: cmdline: bad value in 'console=ttyS0,12345'",
                 r"error: cmdline: bad value in 'exit=never'",
                 r"error: cmdline: unknown option '\"oops'", READY, END0])
    boot('cmdline/loglevel-error', '--cmdline', 'loglevel=error',
         expect=[r'keel 0\.\d+: a minimal hypervisor', END0], reject=[r'keel: ready', r'mm: '])
    boot('cmdline/loglevel-debug', '--cmdline', 'loglevel=debug', expect=[READY, END0])
    boot('cmdline/console-none', '--cmdline', 'console=none', reject=[r'keel'])
    boot('cmdline/console-absent-port', '--cmdline', 'console=ttyS3', reject=[r'keel'])
    boot('cmdline/exit-acpi', '--cmdline', 'exit=acpi', expect=[END0])
    boot('cmdline/exit-halt', '--cmdline', 'exit=halt', expect=[END0, r'keel: halted'],
         status=124, timeout=8)

    # keel's own faults: full report, run status 2.
    boot('fault/null-deref', '--cmdline', 'selftest=null', status=2,
         expect=REPORT + [r'exception 14 \(page fault\), error code 0,', r'cr2 0000000000000000'])
    boot('fault/stack-guard', '--cmdline', 'selftest=stack-overflow', status=2,
         expect=REPORT + [r'exception 8 \(double fault\)', r'recurse'])
    boot('fault/write-text', '--cmdline', 'selftest=write-text', status=2,
         expect=REPORT + [r'exception 14 \(page fault\), error code 0x3,'])
    boot('fault/exec-data', '--cmdline', 'selftest=exec-data', status=2,
         expect=REPORT + [r'exception 14 \(page fault\), error code 0x11,'])
    boot('fault/panic', '--cmdline', 'selftest=panic', status=2,
         expect=[r'error: panic: selftest: panic on request', r'error: backtrace',
                 r'keel: end of run, status 2'])
    boot('fault/bochs-stack-guard', '--emulator', 'bochs', '--cmdline',
         'selftest=stack-overflow', status=2,
         expect=REPORT + [r'exception 8 \(double fault\)'], needs=['grub-mkrescue'],
         timeout=120)

    # A CPU without long mode: keel says so instead of crashing (it then halts).
    boot('boot/no-long-mode', '--cpu', 'qemu32', status=124, timeout=6,
         expect=[r'keel: this CPU has no 64-bit long mode'])

    # Nothing a test runs may depend on the host's desktop: keel-run in an environment with
    # nothing but PATH, an empty home and an ALSA configuration that names no sound card still
    # boots keel (with a guest) in QEMU and in Bochs (which aborted without a sound card).
    def bare_env():
        import tempfile
        home = tempfile.mkdtemp(prefix='keel-home-')
        alsa = os.path.join(home, 'alsa.conf')
        open(alsa, 'w').close()
        return {'PATH': '/usr/bin:/bin', 'HOME': home, 'ALSA_CONFIG_PATH': alsa}
    boot('boot/bare-env[qemu]', f'{HELLO32} vm=h mem=16M', env=bare_env,
         expect=[READY, r'\[h\] hello', END0])
    boot('boot/bare-env[bochs]', '--emulator', 'bochs', f'{HELLO32} vm=h mem=16M',
         env=bare_env, expect=[READY, r'\[h\] hello', END0], needs=['grub-mkrescue'],
         timeout=120)

    # --accel kvm: on a host whose KVM offers no VMX or SVM to guests (these machines) keel-run
    # says why in one line and exits with 123 at once; with nested KVM it boots keel.
    import importlib.machinery
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    keel_run = importlib.machinery.SourceFileLoader(
        'keel_run', os.path.join(root, 'tools', 'keel-run')).load_module()
    why = keel_run.kvm_problem()
    if why:
        boot('boot/accel-kvm', '--accel', 'kvm', f'{HELLO32} vm=h', status=123, timeout=10,
             expect=[r'^keel-run: --accel kvm: (no /dev/kvm|cannot open /dev/kvm|/dev/kvm)'],
             reject=[r'keel: ready'])
    else:
        boot('boot/accel-kvm', '--accel', 'kvm', f'{HELLO32} vm=h mem=16M',
             expect=[READY, r'\[h\] hello', END0])
