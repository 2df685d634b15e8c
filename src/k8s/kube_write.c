/* kube_write: bounded read-modify-write (see kube_write.h). */
#include "kube_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int kube_read(struct kube_client *c, const char *path, const char *object, cJSON **obj,
	      char *why, size_t cap)
{
	struct kube_reply rep;
	*obj = NULL;
	if (kube_call(c, "GET", path, NULL, NULL, &rep) < 0) {
		kube_reply_describe(c, "get", object, &rep, why, cap);
		kube_reply_free(&rep);
		return -1;
	}
	*obj = rep.body;
	rep.body = NULL;
	kube_reply_free(&rep);
	return 0;
}

char *kube_merge_patch(const cJSON *obj, cJSON *patch, const char **ctype)
{
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion");
	cJSON *md = cJSON_GetObjectItemCaseSensitive(patch, "metadata");
	if (!md)
		md = cJSON_AddObjectToObject(patch, "metadata");
	cJSON_AddStringToObject(md, "resourceVersion", cJSON_IsString(rv) ? rv->valuestring : "");
	*ctype = "application/merge-patch+json";
	char *s = cJSON_PrintUnformatted(patch);
	cJSON_Delete(patch);
	return s;
}

/* A short pause between tries, longer each time: a writer that keeps
 * winning gets room to finish. */
static void backoff(int attempt)
{
	struct timespec ts = { 0, (long)(20 + 40 * attempt) * 1000000L };
	nanosleep(&ts, NULL);
}

int kube_write(struct kube_client *c, const char *path, const char *sub, const char *object,
	       kube_patch_fn fn, void *ctx, char *why, size_t cap)
{
	char target[1024];
	snprintf(target, sizeof target, "%s%s%s", path, sub ? "/" : "", sub ? sub : "");
	for (int attempt = 0; attempt < KUBE_WRITE_TRIES; attempt++) {
		cJSON *obj;
		if (kube_read(c, path, object, &obj, why, cap) < 0)
			return -1;
		const char *ctype = NULL;
		bool done = false;
		char *patch = fn(obj, ctx, &ctype, &done, why, cap);
		cJSON_Delete(obj);
		if (!patch)
			return done ? 0 : -1;
		struct kube_reply rep;
		int rc = kube_call(c, "PATCH", target, ctype, patch, &rep);
		free(patch);
		if (rc == 0) {
			kube_reply_free(&rep);
			return 0;
		}
		bool again = kube_reply_precondition(&rep);
		kube_reply_describe(c, "patch", object, &rep, why, cap);
		kube_reply_free(&rep);
		if (!again)
			return -1;
		backoff(attempt);
	}
	size_t n = strlen(why);
	snprintf(why + n, cap > n ? cap - n : 0, " (still conflicting after %d tries)", KUBE_WRITE_TRIES);
	return -1;
}
