/* Memory-map sanitising (pure C, host-tested). */
#include "mm/memmap.h"
#include "kernel/log.h"

void memmap_usable(const struct boot_mem *mem, int n, struct rangeset *out)
{
	int fixed = 0;

	out->n = 0;
	out->overflow = false;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n; i++) {
			const struct boot_mem *e = &mem[i];
			bool usable = e->type == MEM_USABLE;
			if ((pass == 0) != usable)
				continue;
			if (e->len == 0) {
				fixed++;
				continue;
			}
			u64 end = e->base + e->len;
			if (end < e->base || end > PHYS_ADDR_MAX) {
				/* Wraps or lies past any real address: clamp it. */
				end = PHYS_ADDR_MAX;
				fixed++;
			}
			if (e->base >= end)
				continue;
			if (usable)
				rs_add(out, e->base, end);
			else
				rs_sub(out, e->base, end);
		}
	}
	/* Count overlaps and ordering problems, for the log only. */
	for (int i = 0; i + 1 < n; i++) {
		if (mem[i].base > mem[i + 1].base ||
		    (mem[i].len && mem[i].base + mem[i].len > mem[i + 1].base))
			fixed++;
	}
	rs_align_inward(out, PAGE_SIZE);
	if (fixed)
		log_warn("mm: memory map had %d unsorted, overlapping or bad entries; "
			 "reserved wins where they overlap",
			 fixed);
	if (out->overflow)
		log_warn("mm: memory map too fragmented; some memory left unused");
}
