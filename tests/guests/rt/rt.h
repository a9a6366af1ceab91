/* The test guests' tiny runtime: console, exit status, hypercalls, the boot information.
 * Built for 64-bit (ELF64 guests) and 32-bit (multiboot guests) from the same sources. */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

/* Port I/O and the CPU. */
static inline void outb(u16 p, u8 v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(p));
}
static inline void outl(u16 p, u32 v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(p));
}
static inline u8 inb(u16 p)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p));
	return v;
}
static inline u16 inw(u16 p)
{
	u16 v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p));
	return v;
}
static inline u32 inl(u16 p)
{
	u32 v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p));
	return v;
}
static inline void outw(u16 p, u16 v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(p));
}
static inline void cpuid(u32 leaf, u32 sub, u32 r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}
#ifdef __x86_64__
/* CR3 and CR4, for the 64-bit guests that change paging or CPU features. */
static inline u64 cr3_read(void)
{
	u64 v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline u64 cr4_read(void)
{
	u64 v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}
#endif

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

/* Console on COM1 (0x3f8), polled. */
void putc(char c);
void puts(const char *s);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* End the VM with a status through the debug-exit port 0xf4. */
__attribute__((noreturn)) void exit(u32 status);

/* keel's hypercalls (VMMCALL on AMD, VMCALL on Intel). */
bool on_keel(void);
/* CPUID vendor "AuthenticAMD" (else Intel is assumed). */
bool is_amd(void);
u64 hypercall(u64 nr, u64 a1, u64 a2, u64 a3, u64 a4);

/* The multiboot information keel (or QEMU) passes. */
struct mbi {
	u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr, syms[4];
	u32 mmap_length, mmap_addr, drives_length, drives_addr, config_table, boot_loader_name;
};
extern const struct mbi *boot_mbi;
const char *cmdline(void);
/* The value of key=value on the command line, as a number (0 if absent). */
u64 cmdline_num(const char *key, u64 dflt);
bool cmdline_has(const char *key);

/* fw_cfg (0x510 selector, 0x511 data): the first n (<= 8) bytes of key's item, little-endian. */
u64 fwcfg_read(u16 key, unsigned n);

/* Checks: each prints a "PASS: ..." or "FAIL: ..." line; check_done() prints the tally and
 * returns the guest's exit status (0 only if every check passed). */
bool check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int check_done(void);

/* n / d without libgcc (32-bit guests have no 64-bit divide instruction). */
u64 div64(u64 n, u32 d);

/* Small libc. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/* Entry point each guest defines; its return value is the exit status. */
int guest_main(void);

#endif
