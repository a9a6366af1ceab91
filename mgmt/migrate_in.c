/* Live migration, the destination's side (mgmt/migrate.h, README "Live migration"): a keel
 * with incoming=yes takes the streams miglink accepts. The HELLO names the VM to build (its
 * header checked as vm-import checks a file's); PAGEs are written as they come; STATE pieces
 * gather the records, a snapshot file without pages, checked whole (snapfile_parse) and loaded
 * (snap_load_records) on COMMIT, after which the VM starts and DONE goes back. A refused or
 * broken stream frees what was built and logs why. */
#include "mgmt/migrate.h"
#include "kernel/log.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "loader/vmconfig.h"
#include "mgmt/miglink.h"
#include "mgmt/migmsg.h"
#include "mgmt/snapshot.h"
#include "mm/mm.h"
#include "vdev/vdevs.h"
#include "vm/lifecycle.h"
#include "vm/vmctl.h"

#define INS	 4   /* incoming streams at once */
#define RECV_MAX 256 /* messages taken per stream per poll */

struct in {
	struct miglink *l;
	struct vm *vm; /* built from the HELLO, not started until COMMIT */
	struct snapf_header h;
	u8 *state;
	u64 state_len, pages;
	bool done; /* DONE or REFUSE sent: close once the peer has it */
	u8 *msg;
};

static struct in ins[INS];

/* Free a VM that was built but never started. */
static void free_vm(struct vm *vm, const char *why)
{
	vm_stop(vm, VM_END_ERROR, 0, "migration refused: %s", why);
	vdevs_free(vm);
	vm_free(vm);
}

static void in_close(struct in *in)
{
	if (in->l)
		miglink_close(in->l);
	kfree(in->state);
	kfree(in->msg);
	*in = (struct in){0};
}

/* Refuse the stream: tell the source why (best effort), free what was built, log it. */
static void refuse(struct in *in, const char *what, const char *detail)
{
	char why[MIGM_REASON];
	fmt_snprintf(why, sizeof(why), "%s%s", what, detail);
	log_err("migration in%s%s: refused: %s", in->vm ? " of vm " : "", in->vm ? in->h.vm : "",
		why);
	if (in->vm)
		free_vm(in->vm, why);
	in->vm = NULL;
	u32 n = (u32)strlen(why) + 1;
	if (in->l && !miglink_error(in->l)) {
		migm_put(in->msg, MIGM_REFUSE, n);
		memcpy(in->msg + sizeof(struct migm_hdr), why, n);
		miglink_send(in->l, in->msg, (u32)sizeof(struct migm_hdr) + n);
		in->done = true;
		return;
	}
	in_close(in);
}

/* A reply of type t with no payload. */
static void reply(struct in *in, u16 t)
{
	migm_put(in->msg, t, 0);
	miglink_send(in->l, in->msg, sizeof(struct migm_hdr));
}

/* HELLO: build the VM the header describes, not yet started. */
static void hello(struct in *in, const u8 *p, u32 len)
{
	if (len != sizeof(in->h))
		return refuse(in, "the HELLO is the wrong size", "");
	memcpy(&in->h, p, sizeof(in->h));
	const char *why = snapfile_check_header(&in->h);
	if (!why && in->h.ndisks)
		why = "the VM has disks, which a migration does not carry";
	if (!why)
		why = snap_bad_name(in->h.vm);
	if (why)
		return refuse(in, why, "");
	struct vm_hw hw = {.virtio_console = in->h.flags & SNAPF_CONSOLE_VIRTIO,
			   .rng = in->h.flags & SNAPF_RNG,
			   .nnics = in->h.nnics};
	for (u32 i = 0; i < in->h.nnics; i++)
		strlcpy(hw.nic[i].sw, in->h.sw[i], sizeof(hw.nic[i].sw));
	in->vm = vm_create_with(in->h.vm, in->h.ram, in->h.nvcpus, &hw);
	in->state = kmalloc(MIGM_STATE_MAX);
	if (!in->vm || !in->state)
		return refuse(in, "keel has no memory for a VM of this size now", "");
	log_info("vm %s: migration in: %llu MiB, %u vCPUs", in->h.vm, in->h.ram >> 20,
		 in->h.nvcpus);
	reply(in, MIGM_ACCEPT);
}

/* COMMIT: check and load the records, then start the VM and answer DONE. */
static void commit(struct in *in, const u8 *p, u32 len)
{
	struct migm_commit c;
	struct snapf_view v;
	if (len != sizeof(c))
		return refuse(in, "the COMMIT is the wrong size", "");
	memcpy(&c, p, sizeof(c));
	if (c.state_len != in->state_len || c.pages != in->pages)
		return refuse(in, "pages or records are missing", "");
	const char *why = snapfile_parse(in->state, in->state_len, &v);
	if (!why && (v.h.nvcpus != in->h.nvcpus || v.h.ram != in->h.ram || v.pages))
		why = "the records do not match the HELLO";
	if (!why)
		why = snap_load_records(in->vm, v.vcpus, v.vcpus_len, v.devs, v.devs_len);
	if (why)
		return refuse(in, "bad records: ", why);
	vm_lifecycle_add(in->vm);
	vm_start(in->vm);
	log_info("vm %s: migrated in (%llu pages), running", in->h.vm, in->pages);
	in->vm = NULL; /* it is keel's now */
	reply(in, MIGM_DONE);
	in->done = true;
}

/* One message from the source. */
static void message(struct in *in, const u8 *buf, int n)
{
	u32 len;
	u16 t = migm_check(buf, (u64)n, &len);
	const u8 *p = buf + sizeof(struct migm_hdr);
	if (t != MIGM_HELLO && t != MIGM_ABORT && !in->vm)
		return refuse(in, "a message before the HELLO, or a malformed one", "");
	switch (t) {
	case MIGM_HELLO:
		if (in->vm)
			return refuse(in, "a second HELLO", "");
		return hello(in, p, len);
	case MIGM_PAGE: {
		u64 gpa;
		memcpy(&gpa, p, 8);
		if (len != 8 + PAGE_SIZE || gpa % PAGE_SIZE ||
		    !gmem_write(&in->vm->mem, gpa, p + 8, PAGE_SIZE))
			return refuse(in, "a page outside the VM's RAM", "");
		in->pages++;
		return;
	}
	case MIGM_STATE:
		if (in->state_len + len > MIGM_STATE_MAX)
			return refuse(in, "the records are too large", "");
		memcpy(in->state + in->state_len, p, len);
		in->state_len += len;
		return;
	case MIGM_COMMIT: return commit(in, p, len);
	case MIGM_ABORT: {
		char why[MIGM_REASON];
		strlcpy(why, (const char *)p, MIN(len + 1, sizeof(why)));
		log_err("migration in%s%s: the source gave up: %s", in->vm ? " of vm " : "",
			in->vm ? in->h.vm : "", why);
		if (in->vm)
			free_vm(in->vm, why);
		in->vm = NULL;
		return in_close(in);
	}
	default: return refuse(in, "a message this keel does not take", "");
	}
}

/* Take what a stream has; a broken link frees the VM being built. */
static void in_step(struct in *in)
{
	if (in->done) {
		if (miglink_idle(in->l) || miglink_error(in->l))
			in_close(in);
		return;
	}
	const char *err = miglink_error(in->l);
	if (err) {
		log_err("migration in%s%s: the link failed: %s", in->vm ? " of vm " : "",
			in->vm ? in->h.vm : "", err);
		if (in->vm)
			free_vm(in->vm, err);
		in->vm = NULL;
		return in_close(in);
	}
	for (u32 k = 0; k < RECV_MAX && in->l && !in->done; k++) {
		int n = miglink_recv(in->l, in->msg, MIGLINK_MSG_MAX);
		if (n <= 0)
			return; /* a failed link is judged at the next poll */
		message(in, in->msg, n);
	}
}

void migrate_in_poll(void)
{
	struct miglink *l;
	while ((l = miglink_accept())) {
		struct in *in = NULL;
		for (u32 i = 0; i < INS && !in; i++)
			if (!ins[i].l)
				in = &ins[i];
		u8 *msg = in ? kmalloc(MIGLINK_MSG_MAX) : NULL;
		if (!msg) {
			log_err("migration in: a stream refused: %s",
				in ? "out of memory" : "too many at once");
			miglink_close(l);
			continue;
		}
		*in = (struct in){.l = l, .msg = msg};
	}
	for (u32 i = 0; i < INS; i++)
		if (ins[i].l)
			in_step(&ins[i]);
}
