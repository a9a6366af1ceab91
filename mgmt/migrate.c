/* Live migration, the source's side (mgmt/migrate.h, README "Live migration"). Each outgoing
 * migration is a small state machine stepped from CPU 0's poll:
 *
 *   HELLO    the VM's header sent, waiting for ACCEPT (or REFUSE)
 *   ROUND    pre-copy while the VM runs: round 1 every page that is not zero, each later
 *            round the pages written during the one before (snapmem's dirty log)
 *   FINAL    the VM paused: the pages written during the last round
 *   STATE    the vCPUs' and devices' records, as a snapshot file without pages, then COMMIT
 *   COMMIT   waiting for DONE: the VM runs on the peer, and its copy here is destroyed
 *
 * Before COMMIT any failure resumes the VM here; after it, with no answer, the VM stays paused
 * here (it may run on the peer): a VM never runs on both. */
#include "mgmt/migrate.h"
#include "drivers/timer.h"
#include "kernel/log.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "mgmt/miglink.h"
#include "mgmt/migmsg.h"
#include "mgmt/snapshot.h"
#include "mm/mm.h"
#include "vdev/vdevs.h"
#include "vm/entropy.h"
#include "vm/snapmem.h"
#include "vm/vcpu_rec.h"
#include "vm/virq.h"
#include "vm/vrecord.h"
#include "vm/vmctl.h"

#define MIGS	   8 /* migrations remembered (query-migrate), finished ones reused first */
#define PAGE_MSG   (sizeof(struct migm_hdr) + 8 + PAGE_SIZE)
#define SEND_BURST 256 /* messages queued per poll at most */
#define DEVS_MAX   ((u64)(VM_DEVICES_MAX + VM_MAX_VCPUS) * VREC_MAX) /* as snapshot.c */

enum phase { P_HELLO, P_ROUND, P_FINAL, P_STATE, P_COMMIT, P_DONE, P_FAILED };

struct mig {
	bool used;
	char name[VM_NAME_MAX], to[32], reason[MIGM_REASON];
	struct vm *vm;
	struct miglink *l;
	enum phase phase;
	bool user_paused, committed;
	u64 *bits, nwords, npages, lowp, cursor;
	u32 round;
	u64 sent, dirty, round_bytes, round_tsc, bw, expected_ms, budget_ms;
	u64 start_tsc, pause_tsc, end_tsc;
	u8 *state;
	u64 state_len, state_at;
	u8 *msg; /* one message being built */
};

static struct mig migs[MIGS];

/* ---- failing and finishing --------------------------------------------------------------- */

/* Tell the peer (best effort) and let the link go. */
static void drop_link(struct mig *m, const char *why)
{
	if (!m->l)
		return;
	if (why) {
		u32 n = (u32)strlen(why) + 1;
		migm_put(m->msg, MIGM_ABORT, n);
		memcpy(m->msg + sizeof(struct migm_hdr), why, n);
		miglink_send(m->l, m->msg, (u32)sizeof(struct migm_hdr) + n);
		miglink_poll();
	}
	miglink_close(m->l);
	m->l = NULL;
}

static void release(struct mig *m)
{
	kfree(m->bits);
	kfree(m->state);
	kfree(m->msg);
	m->bits = NULL;
	m->state = NULL;
	m->msg = NULL;
	m->end_tsc = tsc_now();
}

/* Stop logging writes (the VM is paused meanwhile, as snapmem needs). */
static void stop_log(struct vm *vm)
{
	if (!snapmem_logging(vm))
		return;
	bool here = !vm_is_paused(vm) && !vm_pause(vm);
	snapmem_log_stop(vm);
	if (here)
		vm_resume(vm);
}

/* The migration failed: before COMMIT the VM runs on here, after it it stays paused. */
static void fail(struct mig *m, const char *what, const char *detail)
{
	u32 n = (u32)fmt_snprintf(m->reason, sizeof(m->reason), "%s%s", what, detail);
	bool alive = m->vm->state == VM_RUNNING && !m->vm->end;
	if (m->committed && n < sizeof(m->reason)) {
		fmt_snprintf(m->reason + n, sizeof(m->reason) - n, "%s",
			     "; COMMIT was sent: the VM stays paused here");
	} else if (!m->committed && alive) {
		stop_log(m->vm);
		if (vm_is_paused(m->vm) && !m->user_paused)
			vm_resume(m->vm);
	}
	drop_link(m, m->committed ? NULL : m->reason);
	m->phase = P_FAILED;
	release(m);
	log_err("vm %s: migration to %s failed: %s", m->name, m->to, m->reason);
}

/* DONE: the VM runs on the peer; its copy here goes as vm-destroy's does (logged first: the
 * last VM gone may end keel's run). */
static void finish(struct mig *m)
{
	struct vm *vm = m->vm;
	drop_link(m, NULL);
	m->phase = P_DONE;
	release(m);
	snapmem_log_stop(vm);
	log_info("vm %s: migrated to %s in %llu ms (%u rounds, %llu pages, downtime %llu ms)",
		 m->name, m->to, tsc_to_us(m->end_tsc - m->start_tsc) / 1000, m->round, m->sent,
		 tsc_to_us(m->end_tsc - m->pause_tsc) / 1000);
	const char *why = vm_end_for_destroy(vm);
	if (why)
		log_err("vm %s: its copy here: %s", m->name, why);
	else {
		vdevs_free(vm);
		vm_free(vm);
	}
}

/* ---- pages ------------------------------------------------------------------------------ */

static u64 page_gpa(const struct mig *m, u64 i)
{
	return i < m->lowp ? i << PAGE_SHIFT : GMEM_HIGH_BASE + ((i - m->lowp) << PAGE_SHIFT);
}

static bool zero_page(const u64 *p)
{
	for (u32 i = 0; i < PAGE_SIZE / 8; i++)
		if (p[i])
			return false;
	return true;
}

/* The next marked page at or after i, or npages. */
static u64 next_marked(const struct mig *m, u64 i)
{
	while (i < m->npages) {
		u64 w = m->bits[i / 64] >> (i % 64);
		if (w)
			return i + (u64)__builtin_ctzll(w);
		i = (i / 64 + 1) * 64;
	}
	return m->npages;
}

/* Queue the marked pages from the cursor on, until the window is full: true once all are. In
 * round 1 zero pages are left out (the peer's RAM starts zeroed); later a page that became
 * zero is sent like any other. */
static bool send_pages(struct mig *m)
{
	for (u32 burst = 0; burst < SEND_BURST; burst++) {
		u64 i = next_marked(m, m->cursor);
		if (i >= m->npages)
			return true;
		u64 gpa = page_gpa(m, i);
		const u64 *src = gmem_ptr(&m->vm->mem, gpa, PAGE_SIZE);
		if (!src || (m->round == 1 && zero_page(src))) {
			m->cursor = i + 1;
			continue;
		}
		u8 *p = m->msg + sizeof(struct migm_hdr);
		migm_put(m->msg, MIGM_PAGE, 8 + PAGE_SIZE);
		memcpy(p, &gpa, 8);
		memcpy(p + 8, src, PAGE_SIZE);
		if (!miglink_send(m->l, m->msg, PAGE_MSG))
			return false;
		m->cursor = i + 1;
		m->sent++;
		m->round_bytes += PAGE_MSG;
	}
	return false;
}

/* ---- rounds ----------------------------------------------------------------------------- */

/* The VM's records as a snapshot file without pages (mgmt/snapfile.h): NULL, or why not. */
static const char *build_state(struct mig *m)
{
	struct vm *vm = m->vm;
	u64 vcap = (u64)vm->nvcpus * VCPU_REC_MAX, cap = 4 * 16 + 256 + vcap + DEVS_MAX;
	u8 *vbuf = kmalloc(vcap), *dbuf = kmalloc(DEVS_MAX);
	m->state = kmalloc(cap);
	const char *why = !vbuf || !dbuf || !m->state ? "out of memory for the records" : NULL;
	u64 vlen = 0, dlen = 0, now = vclock_now();
	for (u32 i = 0; !why && i < vm->nvcpus; i++) {
		u64 n = vcpu_rec_save(vm->vcpu[i], now, vbuf + vlen, VCPU_REC_MAX);
		why = n ? NULL : "a vCPU's record could not be taken";
		vlen += n;
	}
	if (!why && !(dlen = vdevs_save(vm, dbuf, DEVS_MAX)))
		why = "the devices' records could not be taken";
	struct snapf_header h;
	snap_header(vm, "migration", &h);
	struct snapf_end e = {3, 0};
	if (!why && !(snapfile_put(m->state, cap, &m->state_len, SNAPF_HEADER, &h, sizeof(h)) &&
		      snapfile_put(m->state, cap, &m->state_len, SNAPF_VCPUS, vbuf, (u32)vlen) &&
		      snapfile_put(m->state, cap, &m->state_len, SNAPF_DEVICES, dbuf, (u32)dlen) &&
		      snapfile_put(m->state, cap, &m->state_len, SNAPF_END, &e, sizeof(e))))
		why = "the records do not fit";
	kfree(vbuf);
	kfree(dbuf);
	return why;
}

/* A round was sent and acknowledged: measure, swap the dirty log, and either go on (the VM
 * running) or pause it for the last pages when they fit the downtime budget. */
static void end_round(struct mig *m)
{
	u64 now = tsc_now(), us = tsc_to_us(now - m->round_tsc);
	m->bw = us ? m->round_bytes * 1000000 / us : m->round_bytes * 1000000;
	if (!m->user_paused && vm_pause(m->vm)) {
		fail(m, "the VM could not be paused", "");
		return;
	}
	m->pause_tsc = tsc_now();
	m->dirty = snapmem_log_take(m->vm, m->bits);
	m->expected_ms = m->bw ? m->dirty * PAGE_MSG * 1000 / m->bw : ~0ull;
	m->cursor = 0;
	if (m->expected_ms <= m->budget_ms || m->round >= MIG_ROUNDS_MAX) {
		m->phase = P_FINAL; /* stays paused */
		log_info("vm %s: migration: paused after round %u, %llu pages left (%llu ms "
			 "expected at %llu KiB/s)",
			 m->name, m->round, m->dirty, m->expected_ms, m->bw / 1024);
		return;
	}
	if (!m->user_paused)
		vm_resume(m->vm);
	m->round++;
	m->round_bytes = 0;
	m->round_tsc = tsc_now();
}

/* ACCEPT: start logging writes (the VM paused for a moment) and round 1: every page. */
static void accepted(struct mig *m)
{
	bool here = !vm_is_paused(m->vm) && !vm_pause(m->vm);
	bool ok = snapmem_log_start(m->vm);
	if (here)
		vm_resume(m->vm);
	if (!ok) {
		fail(m, "no memory for the dirty log", "");
		return;
	}
	memset(m->bits, 0xff, m->nwords * 8);
	m->phase = P_ROUND;
	m->round = 1;
	m->round_tsc = tsc_now();
}

/* Queue the state file's pieces, then COMMIT. */
static void send_state(struct mig *m)
{
	while (m->state_at < m->state_len) {
		u32 n = (u32)MIN(MIGM_CHUNK, m->state_len - m->state_at);
		migm_put(m->msg, MIGM_STATE, n);
		memcpy(m->msg + sizeof(struct migm_hdr), m->state + m->state_at, n);
		if (!miglink_send(m->l, m->msg, (u32)sizeof(struct migm_hdr) + n))
			return;
		m->state_at += n;
	}
	struct migm_commit c = {m->state_len, m->sent};
	migm_put(m->msg, MIGM_COMMIT, sizeof(c));
	memcpy(m->msg + sizeof(struct migm_hdr), &c, sizeof(c));
	if (!miglink_send(m->l, m->msg, (u32)(sizeof(struct migm_hdr) + sizeof(c))))
		return;
	m->committed = true;
	m->phase = P_COMMIT;
}

/* ---- the peer's answers ----------------------------------------------------------------- */

/* One message from the peer: false if the migration ended on it. */
static bool answer(struct mig *m, const u8 *buf, int n)
{
	u32 len;
	u16 t = migm_check(buf, (u64)n, &len);
	char why[MIGM_REASON];
	switch (t) {
	case MIGM_ACCEPT:
		if (m->phase != P_HELLO)
			break;
		accepted(m);
		return m->phase != P_FAILED;
	case MIGM_DONE:
		if (m->phase != P_COMMIT)
			break;
		finish(m);
		return false;
	case MIGM_REFUSE:
	case MIGM_ABORT:
		strlcpy(why, (const char *)buf + sizeof(struct migm_hdr),
			MIN(len + 1, sizeof(why)));
		m->committed = false; /* the peer refused: it does not run the VM */
		fail(m, "the peer refused: ", why);
		return false;
	default: break;
	}
	fail(m, "the peer sent a message out of turn", "");
	return false;
}

/* One step of m. */
static void step(struct mig *m)
{
	const char *err = miglink_error(m->l);
	if (err) {
		fail(m, "the link failed: ", err);
		return;
	}
	if (m->vm->state != VM_RUNNING || m->vm->end) {
		fail(m, "the VM ended", "");
		return;
	}
	int n;
	while ((n = miglink_recv(m->l, m->msg, MIGLINK_MSG_MAX)) != 0) {
		if (n < 0) {
			fail(m, "the link failed: ", miglink_error(m->l));
			return;
		}
		if (!answer(m, m->msg, n))
			return;
	}
	if (m->phase == P_ROUND && send_pages(m) && miglink_idle(m->l))
		end_round(m);
	else if (m->phase == P_FINAL && send_pages(m) && m->state_len == 0) {
		const char *why = build_state(m);
		if (why) {
			fail(m, "", why);
			return;
		}
		m->phase = P_STATE;
	}
	if (m->phase == P_STATE)
		send_state(m);
}

void migrate_poll(void)
{
	for (u32 i = 0; i < MIGS; i++)
		if (migs[i].used && migs[i].phase < P_DONE)
			step(&migs[i]);
	migrate_in_poll();
}

/* ---- starting and querying -------------------------------------------------------------- */

/* A free slot: an unused one, else the oldest finished one; NULL if all are active. */
static struct mig *slot_for(void)
{
	struct mig *best = NULL;
	for (u32 i = 0; i < MIGS; i++) {
		struct mig *m = &migs[i];
		if (!m->used)
			return m;
		if (m->phase >= P_DONE && (!best || m->end_tsc < best->end_tsc))
			best = m;
	}
	return best;
}

/* The migration of VM name: the one under way, else the last one started (a VM that came
 * back may leave again). */
static struct mig *find(const char *name)
{
	struct mig *last = NULL;
	for (u32 i = 0; i < MIGS; i++) {
		struct mig *m = &migs[i];
		if (!m->used || strcmp(m->name, name))
			continue;
		if (m->phase < P_DONE)
			return m;
		if (!last || m->start_tsc > last->start_tsc)
			last = m;
	}
	return last;
}

/* Why vm cannot be migrated as it is, or NULL. */
static const char *refuse(const struct vm *vm)
{
	const struct mig *m = find(vm->name);
	if (vm->state != VM_RUNNING || vm->end)
		return "the VM is not running";
	if (m && m->phase < P_DONE)
		return "the VM is being migrated already";
	if (vm->hw.ndisks)
		return "the VM has disks, which a migration does not carry";
	if (snap_first(vm))
		return "the VM has snapshots, which a migration does not carry: delete them first";
	if (vm->debug)
		return "a debugger is attached to the VM";
	return NULL;
}

/* The HELLO: the VM's header, so the peer can build it before any page comes. */
static bool send_hello(struct mig *m)
{
	struct vm *vm = m->vm;
	struct snapf_header h;
	snap_header(vm, "migration", &h);
	migm_put(m->msg, MIGM_HELLO, sizeof(h));
	memcpy(m->msg + sizeof(struct migm_hdr), &h, sizeof(h));
	return miglink_send(m->l, m->msg, (u32)(sizeof(struct migm_hdr) + sizeof(h)));
}

const char *migrate_start(struct vm *vm, const char *to, u64 downtime_ms)
{
	const char *why = refuse(vm);
	struct mig *m = why ? NULL : slot_for();
	if (why || !m)
		return why ? why : "too many migrations under way";
	release(m);
	*m = (struct mig){.used = true, .vm = vm, .budget_ms = downtime_ms};
	strlcpy(m->name, vm->name, sizeof(m->name));
	strlcpy(m->to, to, sizeof(m->to));
	m->npages = vm->mem.size >> PAGE_SHIFT;
	m->lowp = vm->mem.low_end >> PAGE_SHIFT;
	m->nwords = (m->npages + 63) / 64;
	m->bits = kmalloc(m->nwords * 8);
	m->msg = kmalloc(MIGLINK_MSG_MAX);
	m->user_paused = vm_is_paused(vm);
	m->start_tsc = m->pause_tsc = tsc_now();
	if (!m->bits || !m->msg) {
		release(m);
		m->used = false;
		return "out of memory";
	}
	if (!(m->l = miglink_connect(to, &why)) || !send_hello(m)) {
		why = why ? why : "the link took no message";
		drop_link(m, NULL);
		release(m);
		m->used = false;
		return why;
	}
	log_info("vm %s: migrating to %s (downtime budget %llu ms)", m->name, to, downtime_ms);
	return NULL;
}

static const char *status_of(const struct mig *m)
{
	return m->phase == P_DONE ? "completed" : m->phase == P_FAILED ? "failed" : "active";
}

static void one(struct jw *w, const struct mig *m)
{
	u64 end = m->phase >= P_DONE ? m->end_tsc : tsc_now();
	jw_obj_begin(w);
	jw_kstr(w, "vm", m->name);
	jw_kstr(w, "to", m->to);
	jw_kstr(w, "status", status_of(m));
	if (m->phase == P_FAILED) {
		jw_kstr(w, "reason", m->reason);
		jw_kbool(w, "paused-here", m->committed);
	}
	jw_ku64(w, "round", m->round);
	jw_ku64(w, "pages-sent", m->sent);
	jw_ku64(w, "pages-dirty", m->dirty);
	jw_ku64(w, "ram-pages", m->npages);
	jw_ku64(w, "bandwidth-kib", m->bw / 1024);
	jw_ku64(w, "expected-downtime-ms", m->expected_ms == ~0ull ? 0 : m->expected_ms);
	jw_ku64(w, "downtime-limit-ms", m->budget_ms);
	jw_ku64(w, "total-time-ms", tsc_to_us(end - m->start_tsc) / 1000);
	if (m->phase == P_DONE)
		jw_ku64(w, "downtime-ms", tsc_to_us(m->end_tsc - m->pause_tsc) / 1000);
	if (m->l) {
		struct miglink_stats s;
		miglink_stats(m->l, &s);
		jw_ku64(w, "bytes-sent", s.tx_bytes);
		jw_ku64(w, "retransmits", s.retransmits);
	}
	jw_obj_end(w);
}

bool migrate_query(struct jw *w, const char *vm)
{
	if (vm) {
		const struct mig *m = find(vm);
		if (m)
			one(w, m);
		return m != NULL;
	}
	jw_arr_begin(w);
	for (u32 i = 0; i < MIGS; i++)
		if (migs[i].used)
			one(w, &migs[i]);
	jw_arr_end(w);
	return true;
}
