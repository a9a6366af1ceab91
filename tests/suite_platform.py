"""The guest's platform beyond the CPU (issue 6): keel's console input switched between VMs
and keel's prompt, and every way a guest can end its VM (reset through the reset control
port, the keyboard controller or port 0x92; ACPI power-off; HLT with interrupts off), with
and without on_reset=restart. Each test runs on both backends."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ECHO = os.path.join(ROOT, 'build', 'guests', 'echo.elf')
ENDS = os.path.join(ROOT, 'build', 'guests', 'ends.elf')
ENDS32 = os.path.join(ROOT, 'build', 'guests', 'ends32.elf')
HELLO = os.path.join(ROOT, 'build', 'guests', 'hello.elf')
BOCHS = ['--emulator', 'bochs']


def both(boot, name, *args, timeout=60, bochs_timeout=180, **kw):
    boot(f'{name}[svm]', *args, timeout=timeout, **kw)
    boot(f'{name}[vmx]', *BOCHS, *args, timeout=bochs_timeout, cost=12, needs=['grub-mkrescue'],
         **kw)


def define(boot, Fail):
    # keel's console: e1 has it first; Ctrl-A c moves it to e2, Ctrl-A k to keel's prompt,
    # whose "console e1" gives it back; Ctrl-A 1 picks VM number 1 (e2). Each line typed
    # must reach exactly the VM that had the console.
    sends = ["[e1] echo: ready=one\\r",
             "[e1] echo: got 'one'=\\x01c",
             "input goes to vm e2=two\\r",
             "[e2] echo: got 'two'=\\x01k",
             "input goes to keel=vms\\r",
             "keel: 1 e2=console e1\\rquit\\r",
             "[e1] echo: bye=\\x011quit\\r"]
    both(boot, 'console/switch', *[a for s in sends for a in ('--send', s)],
         f'{ECHO} vm=e1 mem=8M', f'{ECHO} vm=e2 mem=8M',
         ordered=[r'console: input goes to vm e1', r"\[e1\] echo: got 'one'",
                  r'console: input goes to vm e2', r"\[e2\] echo: got 'two'",
                  r'console: input goes to keel', r'keel: 0 e1 +running',
                  r'keel: 1 e2 +running', r'console: input goes to vm e1',
                  r'\[e1\] echo: bye', r'console: input goes to vm e2', r'\[e2\] echo: bye',
                  r'keel: end of run, status 0'],
         reject=[r"\[e2\] echo: got 'one'", r"\[e1\] echo: got 'two'", r"got 'vms'"])

    # When the VM with the console stops, the console moves on to the next VM that reads it
    # (after the last one, to keel's prompt), so what is typed next is not lost.
    both(boot, 'console/follow', '--send', '[e2] echo: ready=quit\\r',
         '--send', 'e1 has stopped=two\\r', '--send', "[e2] echo: got 'two'=quit\\r",
         f'{ECHO} vm=e1 mem=8M', f'{ECHO} vm=e2 mem=8M',
         ordered=[r'console: input goes to vm e1', r'\[e1\] echo: bye',
                  r'console: vm e1 has stopped', r'console: input goes to vm e2',
                  r"\[e2\] echo: got 'two'", r'\[e2\] echo: bye', r'keel: end of run, status 0'])

    # A paste of 400 bytes typed at once, while the guest reads nothing for half a second:
    # keel's ring holds what the guest's 64-byte UART FIFO cannot, and every byte arrives,
    # in order.
    paste = ''.join(chr(0x21 + (i * 7) % 94) for i in range(400)).replace('=', '-')
    paste = paste.replace('\\', '/')
    h = 2166136261
    for ch in paste.encode():
        h = ((h ^ ch) * 16777619) & 0xffffffff
    both(boot, 'console/paste', '--send', f'[e] echo: ready={paste}\\rquit\\r',
         f'{ECHO} vm=e mem=8M cmdline="wait_ms=500"',
         ordered=[r'console: input from UART 0x3f8 by interrupt', r'\[e\] echo: ready',
                  rf'\[e\] echo: got 400 bytes, fnv1a {h:08x}', r'\[e\] echo: bye',
                  r'keel: end of run, status 0'],
         reject=[r'does not read its UART'])

    # Ends without restart: the VM stops, and says how.
    for end, line, status in (('cf9', 'reset by the guest', 0), ('kbd', 'reset by the guest', 0),
                              ('port92', 'reset by the guest', 0),
                              ('acpi', 'powered off by the guest', 0),
                              ('halt', 'stopped: halted with interrupts disabled', 1)):
        both(boot, f'ends/{end}', f'{ENDS} vm=e mem=8M cmdline="end={end}"',
             expect=[r'\[e\] ends: boot 1', rf'vm e: {line}',
                     rf'keel: end of run, status {status}'],
             reject=[r'ends: still here', r'ends: boot 2'], status=status)

    # With on_reset=restart: the image is loaded again into cleared RAM and runs; the CMOS RAM
    # is kept, as on a PC, so the guest counts its boots there (twice reset, then done), and
    # checks at each boot that the markers it left in RAM are gone.
    for end in ('cf9', 'kbd'):
        both(boot, f'ends/{end}-restart',
             f'{ENDS} vm=e mem=8M on_reset=restart cmdline="end={end} boots=2 restart=1"',
             ordered=[r'\[e\] ends: boot 1', r'vm e: reset by the guest: restarting it \(restart 1\)',
                      r'\[e\] ends: boot 2', r'\[e\] PASS: boot 2: RAM cleared', r'restart 2\)',
                      r'\[e\] ends: boot 3', r'\[e\] PASS: boot 3: RAM cleared',
                      r'\[e\] ends: done', r'\[e\] PASSED: 1 checks', r'vm e: exited with status 0',
                      r'keel: end of run, status 0'])
    # A multiboot (32-bit) guest restarts the same way.
    both(boot, 'ends/cf9-restart-multiboot',
         f'{ENDS32} vm=e mem=8M on_reset=restart cmdline="end=cf9 boots=1 restart=1"',
         ordered=[r'\[e\] ends: boot 1', r'restarting it \(restart 1\)', r'\[e\] ends: boot 2',
                  r'\[e\] PASS: boot 2: RAM cleared', r'\[e\] ends: done',
                  r'keel: end of run, status 0'])

    # A VM with many modules restarts with the same name, command line and module strings:
    # the VM owns copies of them (the definitions they came from are freed after start-up).
    mods = [f'{HELLO} vm=r module'] * 16

    def same_each_boot(text):
        boots = re.split(r'\[r\] ends: boot \d+', text)[1:]
        seen = [re.findall(r"^\[[^]]*\] \[r\] (ends: (?:cmdline|module) .*)$", b, re.M)
                for b in boots]
        if len(seen) != 3 or not seen[0] or any(s != seen[0] for s in seen):
            raise Fail(f'what the guest sees changed across restarts: {seen}')
        if len(seen[0]) != 17:
            raise Fail(f'{len(seen[0]) - 1} modules, not 16')
    both(boot, 'ends/restart-many-modules',
         f'{ENDS} vm=r mem=16M on_reset=restart cmdline="end=cf9 boots=2 restart=1"', *mods,
         f'{ENDS32} vm=q mem=8M cmdline="boots=0"', *[f'{HELLO} vm=q module'] * 8,
         ordered=[r'\[r\] ends: boot 1', r'vm r: reset by the guest: restarting it \(restart 1\)',
                  r'vm r: \S*ends\.elf: ELF64 image', r'\[r\] ends: boot 2',
                  r'vm r: reset by the guest: restarting it \(restart 2\)',
                  r'vm r: \S*ends\.elf: ELF64 image', r'\[r\] ends: boot 3',
                  r'\[r\] PASSED: 1 checks', r'vm r: exited with status 0'],
         expect=[r'keel: end of run, status 0'], reject=[r'vm : ', r'\[\] '],
         check=same_each_boot)
