# boot/: the multiboot v1 and v2 headers and the 32-to-64-bit entry (first in the link).
KOBJS += boot/multiboot.o boot/entry.o
