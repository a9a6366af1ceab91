/* The AP trampoline's layout: code at the start of its page, parameters at fixed offsets
 * near its end (written by kernel/smp.c, read by kernel/trampoline.S). */
#ifndef KEEL_TRAMPOLINE_H
#define KEEL_TRAMPOLINE_H

#define TRAMP_PARAMS 0xf00		   /* offset of the parameter block in the page */
#define TRAMP_GDT    (TRAMP_PARAMS + 0x00) /* 4 descriptors */
#define TRAMP_GDTR   (TRAMP_PARAMS + 0x20) /* limit (2), base (4) */
#define TRAMP_PM_PTR (TRAMP_PARAMS + 0x28) /* offset (4), selector (2) */
#define TRAMP_LM_PTR (TRAMP_PARAMS + 0x30) /* offset (4), selector (2) */
#define TRAMP_CR3    (TRAMP_PARAMS + 0x38)
#define TRAMP_EFER   (TRAMP_PARAMS + 0x40) /* bits to set in EFER */
#define TRAMP_STACK  (TRAMP_PARAMS + 0x48)
#define TRAMP_ENTRY  (TRAMP_PARAMS + 0x50)
#define TRAMP_CPU    (TRAMP_PARAMS + 0x58)
#define TRAMP_ALIVE  (TRAMP_PARAMS + 0x5c) /* set by the AP once it runs C */

#endif
