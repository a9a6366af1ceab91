# mm/: the memory map, the page allocator, the heap, page tables, guest memory.
KOBJS += mm/mm.o mm/memmap.o mm/pmm.o mm/pagetable.o mm/heap.o mm/gmem.o
UNIT_SRCS += mm/memmap.c mm/pmm.c mm/pagetable.c mm/heap.c
