/* kube_write: a read-modify-write of one object with its resourceVersion as
 * the precondition. A write that loses to a concurrent writer (409, or a
 * JSON-patch test that failed) is read again and made again if the change
 * still needs making, a bounded number of times. Private to src/k8s. */
#ifndef CUTOVER_KUBE_WRITE_H
#define CUTOVER_KUBE_WRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "kube_client.h"

#define KUBE_WRITE_TRIES 5

/* Builds the patch for obj as read. Returns it (malloc'd) with *ctype set;
 * or NULL with *done set when obj already holds the change; or NULL with
 * why when it cannot be made. */
typedef char *(*kube_patch_fn)(const cJSON *obj, void *ctx, const char **ctype, bool *done,
			       char *why, size_t cap);

/* object: "services shop/web", for errors. sub: NULL, or a subresource
 * ("status") the patch goes to; the object itself is what is read (a GET
 * of a status subresource needs a right a writer of it may not have).
 * Returns 0 when the change holds, else -1 with why naming the context,
 * the user, the verb and the object. */
int kube_write(struct kube_client *c, const char *path, const char *sub, const char *object,
	       kube_patch_fn fn, void *ctx, char *why, size_t cap);

/* patch as a merge patch preconditioned on obj's resourceVersion: sets
 * metadata.resourceVersion in patch, prints it, frees it, sets *ctype. */
char *kube_merge_patch(const cJSON *obj, cJSON *patch, const char **ctype);

/* GET path into *obj (the caller frees it). Returns 0, or -1 with why. */
int kube_read(struct kube_client *c, const char *path, const char *object, cJSON **obj,
	      char *why, size_t cap);

#endif
