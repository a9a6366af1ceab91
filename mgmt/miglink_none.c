/* The migration transport's stand-in while mgmt/miglink.c is not in the tree (issue 17's
 * other half): every stream is refused with a reason, nothing is ever accepted. Built only
 * when mgmt/miglink.c is absent (mgmt/objects.mk). */
#include "mgmt/miglink.h"

void miglink_start(const char *host, const u8 *key, u32 keylen, bool incoming)
{
	(void)host, (void)key, (void)keylen, (void)incoming;
}

void miglink_poll(void)
{
}

u64 miglink_poll_again(void)
{
	return 0;
}

struct miglink *miglink_connect(const char *peer, const char **why)
{
	(void)peer;
	*why = "this keel was built without the migration transport";
	return NULL;
}

struct miglink *miglink_accept(void)
{
	return NULL;
}

bool miglink_send(struct miglink *l, const void *msg, u32 len)
{
	(void)l, (void)msg, (void)len;
	return false;
}

int miglink_recv(struct miglink *l, void *buf, u32 cap)
{
	(void)l, (void)buf, (void)cap;
	return -1;
}

bool miglink_idle(const struct miglink *l)
{
	(void)l;
	return true;
}

const char *miglink_error(const struct miglink *l)
{
	(void)l;
	return "no transport";
}

void miglink_stats(const struct miglink *l, struct miglink_stats *s)
{
	(void)l;
	*s = (struct miglink_stats){0};
}

void miglink_close(struct miglink *l)
{
	(void)l;
}
