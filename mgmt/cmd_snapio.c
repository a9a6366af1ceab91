/* Snapshots leaving keel and coming back (README "Snapshot format"): snapshot-export streams a
 * snapshot file over the JSON API, vm-import takes one in, in pieces, and starts a VM from it. */
#include "mgmt/cmds.h"
#include "kernel/log.h"
#include "lib/codec.h"
#include "lib/string.h"
#include "loader/vmconfig.h"
#include "mgmt/snapfile.h"
#include "mgmt/snapshot.h"
#include "mm/mm.h"
#include "vm/entropy.h"
#include "vm/lifecycle.h"
#include "vdev/vdevs.h"
#include "vm/snapmem.h"
#include "vm/vmctl.h"

#define CHUNK	   2304 /* file bytes per streamed line: 3072 of base64 */
#define IMPORT_MAX (1ull << 31)

/* A growing buffer on the heap. */
struct grow {
	u8 *buf;
	u64 len, cap;
};

static bool grow_to(struct grow *g, u64 need)
{
	if (need <= g->cap)
		return true;
	u64 cap = MAX(need, g->cap ? 2 * g->cap : 64 * KiB);
	u8 *n = kmalloc(cap);
	if (!n)
		return false;
	memcpy(n, g->buf, g->len);
	kfree(g->buf);
	g->buf = n;
	g->cap = cap;
	return true;
}

static bool put(struct grow *g, u16 type, const void *p, u32 n)
{
	return grow_to(g, g->len + sizeof(struct snapf_rec) + n) &&
	       snapfile_put(g->buf, g->cap, &g->len, type, p, n);
}

void snap_header(const struct vm *vm, const char *tag, struct snapf_header *h)
{
	*h = (struct snapf_header){.nvcpus = vm->nvcpus,
				   .ram = vm->mem.size,
				   .ndisks = vm->hw.ndisks,
				   .nnics = vm->hw.nnics};
	memcpy(h->format, "keelsnap", 8);
	h->flags = (vm->hw.virtio_console ? SNAPF_CONSOLE_VIRTIO : 0) |
		   (vm->hw.rng && entropy_available() ? SNAPF_RNG : 0); /* as vdev/vrng.c */
	strlcpy(h->vm, vm->name, sizeof(h->vm));
	strlcpy(h->tag, tag, sizeof(h->tag));
	for (u32 i = 0; i < vm->hw.nnics && i < SNAPF_NICS; i++)
		strlcpy(h->sw[i], vm->hw.nic[i].sw, sizeof(h->sw[i]));
}

/* A page record: its address, then its bytes. */
struct page_rec {
	u64 gpa;
	u8 data[PAGE_SIZE];
};

struct build {
	struct grow *g;
	struct page_rec *pg;
	u64 pages;
};

static bool put_page_rec(void *ctx, u64 gpa, const void *page)
{
	struct build *b = ctx;
	b->pg->gpa = gpa;
	memcpy(b->pg->data, page, PAGE_SIZE);
	b->pages++;
	return put(b->g, SNAPF_PAGE, b->pg, sizeof(*b->pg));
}

/* A disk's overlay as DBLOCK records (counting them only while g is NULL). */
struct dblocks {
	struct grow *g;
	struct page_rec *buf; /* room for a block record: its header, then the block */
	u64 n;
};

static bool put_dblock(void *ctx, u64 blk, const u8 *data)
{
	struct dblocks *d = ctx;
	d->n++;
	if (!d->g)
		return true;
	struct snapf_dblock b = {.blk = blk, .flags = data ? 0 : SNAPF_DBLOCK_ZERO};
	memcpy(d->buf, &b, sizeof(b));
	if (data)
		memcpy((u8 *)d->buf + sizeof(b), data, VDISK_BLOCK);
	return put(d->g, SNAPF_DBLOCK, d->buf, sizeof(b) + (data ? VDISK_BLOCK : 0));
}

/* Each disk of s: its DISK record, then its blocks. */
static bool put_disks(struct snapshot *s, struct grow *g, struct page_rec *buf, u64 *records)
{
	for (u32 i = 0; i < s->ndisks; i++) {
		const struct vm_disk *k = &s->vm->hw.disk[i];
		struct dblocks count = {NULL, buf, 0}, out = {g, buf, 0};
		vdisk_each(&s->disk[i], put_dblock, &count);
		struct snapf_disk d = {.index = i,
				       .flags = k->ro ? SNAPF_DISK_RO : 0,
				       .len = k->len,
				       .crc = snapfile_disk_crc(k->data, k->len),
				       .blocks = count.n};
		strlcpy(d.name, k->name, sizeof(d.name));
		if (!put(g, SNAPF_DISK, &d, sizeof(d)) ||
		    !vdisk_each(&s->disk[i], put_dblock, &out))
			return false;
		*records += 1 + out.n;
	}
	return true;
}

/* s as a file: header, records, the disks' blocks, the pages that are not zero, end. */
static const char *build(struct snapshot *s, struct grow *g, u64 *pages)
{
	struct snapf_header h;
	snap_header(s->vm, s->tag, &h);
	struct build b = {g, kmalloc(sizeof(struct page_rec)), 0};
	if (!b.pg)
		return "out of memory";
	u64 records = 3;
	bool ok = put(g, SNAPF_HEADER, &h, sizeof(h)) &&
		  put(g, SNAPF_VCPUS, s->vcpus, (u32)s->vcpus_len) &&
		  put(g, SNAPF_DEVICES, s->devs, (u32)s->devs_len) &&
		  put_disks(s, g, b.pg, &records) && snap_each_page(s, put_page_rec, &b);
	struct snapf_end e = {records + b.pages, b.pages};
	ok = ok && put(g, SNAPF_END, &e, sizeof(e));
	kfree(b.pg);
	*pages = b.pages;
	return ok ? NULL : "out of memory building the file";
}

/* One streamed line: {"data": "BASE64"}. */
static void stream_chunk(struct cmd_ctx *c, const u8 *p, u32 n, char *line, u32 cap)
{
	struct jw w;
	jw_init(&w, line, cap);
	jw_obj_begin(&w);
	jw_key(&w, "data");
	char b64[BASE64_LEN(CHUNK) + 1];
	jw_strn(&w, b64, (u32)base64_encode(p, n, b64));
	jw_obj_end(&w);
	c->stream(line, w.len);
}

bool cmd_snapshot_export(struct cmd_ctx *c)
{
	char tag[SNAP_TAG_MAX];
	struct vm *vm = cmd_arg_vm(c);
	if (!vm || !cmd_arg_str(c, "tag", tag, sizeof(tag), true))
		return false;
	struct snapshot *s = snap_find(vm, tag);
	if (!s)
		return cmd_fail(c, CMD_ERR_GENERIC, "VM %s has no snapshot '%s'", vm->name, tag);
	if (!c->stream)
		return cmd_fail(c, CMD_ERR_GENERIC,
				"snapshot-export streams over the JSON API only");
	struct grow g = {0};
	u64 pages = 0;
	const char *why = build(s, &g, &pages);
	if (why) {
		kfree(g.buf);
		return cmd_fail(c, CMD_ERR_GENERIC, "cannot export %s/%s: %s", vm->name, tag, why);
	}
	char *line = kmalloc(BASE64_LEN(CHUNK) + 64);
	if (!line) {
		kfree(g.buf);
		return cmd_fail(c, CMD_ERR_GENERIC, "out of memory");
	}
	for (u64 at = 0; at < g.len; at += CHUNK)
		stream_chunk(c, g.buf + at, (u32)MIN(CHUNK, g.len - at), line,
			     BASE64_LEN(CHUNK) + 64);
	jw_obj_begin(c->out);
	jw_ku64(c->out, "bytes", g.len);
	jw_ku64(c->out, "pages", pages);
	jw_ku64(c->out, "crc32", crc32(0, g.buf, g.len));
	jw_obj_end(c->out);
	kfree(line);
	kfree(g.buf);
	return true;
}

/* The import under way: the file's bytes so far, for the VM to be named name. */
static struct {
	char name[VM_NAME_MAX];
	struct grow g;
} imp;

static void import_drop(void)
{
	kfree(imp.g.buf);
	imp = (typeof(imp)){0};
}

/* A piece of the file, base64 in "data": appended. */
static bool import_data(struct cmd_ctx *c, const char *name)
{
	static char text[4096];
	if (!cmd_arg_str(c, "data", text, sizeof(text), true))
		return false;
	if (strcmp(imp.name, name)) { /* a new import: what an earlier one left is dropped */
		import_drop();
		strlcpy(imp.name, name, sizeof(imp.name));
	}
	u64 n = strlen(text);
	if (imp.g.len + n > IMPORT_MAX || !grow_to(&imp.g, imp.g.len + n)) {
		import_drop();
		return cmd_fail(c, CMD_ERR_GENERIC, "the file is too large for keel's memory");
	}
	s64 got = base64_decode(text, n, imp.g.buf + imp.g.len, imp.g.cap - imp.g.len);
	if (got < 0) {
		import_drop();
		return cmd_fail(c, CMD_ERR_GENERIC,
				"argument 'data' is not base64; import dropped");
	}
	imp.g.len += (u64)got;
	jw_obj_begin(c->out);
	jw_ku64(c->out, "bytes", imp.g.len);
	jw_obj_end(c->out);
	return true;
}

static void put_page(void *ctx, u64 gpa, const u8 *data)
{
	gmem_write(&((struct vm *)ctx)->mem, gpa, data, PAGE_SIZE);
}

/* The module keel was booted with that is the snapshot's disk d (the same length and CRC; the
 * same name first), or NULL. */
static const struct vm_disk *find_disk(const struct snapf_disk *d)
{
	u32 n;
	const struct vm_disk *k = vmconfig_disks(&n), *found = NULL;
	for (u32 i = 0; i < n; i++) {
		if (k[i].len != d->len || snapfile_disk_crc(k[i].data, k[i].len) != d->crc)
			continue;
		if (!found || !strcmp(k[i].name, d->name))
			found = &k[i];
	}
	return found;
}

/* hw's disks: the modules the snapshot's are. */
static const char *disks_of(const struct snapf_view *v, struct vm_hw *hw)
{
	for (u32 i = 0; i < v->h.ndisks; i++) {
		const struct vm_disk *k = find_disk(&v->disk[i]);
		if (!k) {
			log_err("snapshot %s of vm %s: its disk %u is %s, %llu bytes: keel has no "
				"disk module of that length and CRC",
				v->h.tag, v->h.vm, i, v->disk[i].name, v->disk[i].len);
			return "keel was not booted with the snapshot's disk modules (the same "
			       "length, "
			       "first and last blocks)";
		}
		hw->disk[i] = *k;
		hw->disk[i].ro = v->disk[i].flags & SNAPF_DISK_RO;
	}
	hw->ndisks = v->h.ndisks;
	return NULL;
}

/* The disks' blocks going into an imported VM. */
struct dblock_in {
	struct vm *vm;
	const char *why; /* the first refusal */
};

static bool set_dblock(void *ctx, u32 disk, u64 blk, const u8 *data)
{
	struct dblock_in *in = ctx;
	return !(in->why = snapdisk_set(in->vm, disk, blk, data));
}

const char *snap_import(const char *name, const u8 *buf, u64 len, struct vm **out)
{
	struct snapf_view v;
	const char *why = snap_bad_name(name);
	if (why)
		return why;
	if ((why = snapfile_parse(buf, len, &v)))
		return why;
	struct vm_hw hw = {.virtio_console = v.h.flags & SNAPF_CONSOLE_VIRTIO,
			   .rng = v.h.flags & SNAPF_RNG,
			   .nnics = v.h.nnics};
	if ((why = disks_of(&v, &hw)))
		return why;
	for (u32 i = 0; i < v.h.nnics; i++)
		strlcpy(hw.nic[i].sw, v.h.sw[i], sizeof(hw.nic[i].sw));
	struct vm *vm = vm_create_with(name, v.h.ram, v.h.nvcpus, &hw);
	if (!vm)
		return "keel cannot create a VM of this size now (see its log)";
	snapfile_pages(buf, len, put_page, vm);
	struct dblock_in set = {vm, NULL};
	snapfile_dblocks(buf, len, set_dblock, &set);
	why = set.why ? set.why : snap_load_records(vm, v.vcpus, v.vcpus_len, v.devs, v.devs_len);
	if (why) {
		vm_stop(vm, VM_END_ERROR, 0, "import refused: %s", why);
		vdevs_free(vm);
		vm_free(vm);
		return why;
	}
	vm_lifecycle_add(vm);
	vm_start(vm);
	log_info("vm %s: imported from snapshot %s of vm %s (%llu pages)", name, v.h.tag, v.h.vm,
		 v.pages);
	*out = vm;
	return NULL;
}

bool cmd_vm_import(struct cmd_ctx *c)
{
	char name[VM_NAME_MAX];
	if (!cmd_arg_str(c, "name", name, sizeof(name), true))
		return false;
	if (cmd_has_arg(c, "data"))
		return import_data(c, name);
	if (strcmp(imp.name, name) || !imp.g.len)
		return cmd_fail(c, CMD_ERR_GENERIC, "no data was sent for an import named '%s'",
				name);
	struct vm *vm = NULL;
	const char *why = snap_import(name, imp.g.buf, imp.g.len, &vm);
	u64 bytes = imp.g.len;
	import_drop();
	if (why)
		return cmd_fail(c, CMD_ERR_GENERIC, "import refused: %s", why);
	jw_obj_begin(c->out);
	jw_kstr(c->out, "name", vm->name);
	jw_ku64(c->out, "bytes", bytes);
	jw_obj_end(c->out);
	return true;
}

u32 snap_import_boot(void)
{
	u32 n, started = 0;
	const struct boot_snapshot *b = vmconfig_snapshots(&n);
	for (u32 i = 0; i < n; i++) {
		struct vm *vm;
		const char *why = snap_import(b[i].name, b[i].data, b[i].len, &vm);
		if (!why) {
			started++;
			continue;
		}
		log_err("vm %s: its snapshot file is refused: %s; not started", b[i].name, why);
		vm_count_refused();
	}
	return started;
}
