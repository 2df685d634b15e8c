/* libFuzzer target: kubeconfig files (src/k8s/kubeconfig.c through
 * libyaml). Any bytes give either a context whose server is https:// with
 * a user, or an error that names the file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cutover/kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!path[0])
		snprintf(path, sizeof path, "/tmp/cutover-fuzz-kube-%ld", (long)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct kube_ctx c;
	struct co_error err = { .msg = "" };
	if (kubeconfig_load(path, NULL, &c, &err) == 0) {
		if (!c.server || strncmp(c.server, "https://", 8) != 0 || !c.user || !c.context ||
		    !c.namespace)
			abort();
		kube_ctx_free(&c);
	} else if (!strstr(err.msg, path)) {
		abort();	/* every error names the file */
	}
	return 0;
}
