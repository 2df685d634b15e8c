/* Unit tests for exec credential plugins (src/k8s/kube_cred.c): run
 * without a shell with KUBERNETES_EXEC_INFO and the plugin's env; a token
 * or a client certificate with its expiry read; every failure named with
 * the plugin and what it said. The plugins are small scripts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cutover/kubeconfig.h"
#include "../../src/k8s/kube_cred.h"

#define assert_contains(text, part) do { \
	if (!strstr((text), (part))) \
		fail_msg("\"%s\" lacks \"%s\"", (text), (part)); \
} while (0)

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/cutover-cred-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A plugin: /bin/sh running body; returns its context. */
static struct kube_ctx plugin(const char *name, const char *body)
{
	static char path[160];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(body, f);
	fclose(f);
	struct kube_ctx c;
	memset(&c, 0, sizeof c);
	c.server = "https://127.0.0.1:6443";
	c.has_exec = true;
	c.exec.command = "/bin/sh";
	static char *argv[3];
	argv[0] = "/bin/sh";
	argv[1] = path;
	argv[2] = NULL;
	c.exec.argv = argv;
	static char *env[] = { "PLUGIN_REGION=eu-west-1", NULL };
	c.exec.env = env;
	c.exec.api_version = "client.authentication.k8s.io/v1beta1";
	c.exec.provide_cluster_info = true;
	return c;
}

static void a_token_and_its_expiry(void **state)
{
	(void)state;
	/* The plugin checks what it was given: the exec info (with the
	 * cluster, as provideClusterInfo asks) and its own env entry. */
	struct kube_ctx c = plugin("ok.sh",
		"case \"$KUBERNETES_EXEC_INFO\" in *'\"apiVersion\":\"client.authentication.k8s.io/v1beta1\"'*'\"interactive\":false'*'\"server\":\"https://127.0.0.1:6443\"'*) ;;"
		" *) echo \"bad exec info: $KUBERNETES_EXEC_INFO\" >&2; exit 3;; esac\n"
		"[ \"$PLUGIN_REGION\" = eu-west-1 ] || { echo no region >&2; exit 4; }\n"
		"echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
		"\"status\":{\"token\":\"k8s-aws-v1.abc\",\"expirationTimestamp\":\"2030-01-02T03:04:05Z\"}}'\n");
	struct kube_cred cr;
	char why[300] = "";
	int rc = kube_cred_exec(&c, 5000, &cr, why, sizeof why);
	if (rc < 0)
		fail_msg("%s", why);
	assert_string_equal(cr.token, "k8s-aws-v1.abc");
	assert_true(cr.expires > 1893553444.0 && cr.expires < 1893553446.0);
	kube_cred_clear(&cr);
	assert_null(cr.token);
}

static void a_client_certificate(void **state)
{
	(void)state;
	struct kube_ctx c = plugin("cert.sh",
		"echo '{\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":\"-----BEGIN CERTIFICATE-----\","
		"\"clientKeyData\":\"-----BEGIN PRIVATE KEY-----\"}}'\n");
	struct kube_cred cr;
	char why[300] = "";
	assert_int_equal(kube_cred_exec(&c, 5000, &cr, why, sizeof why), 0);
	assert_null(cr.token);
	assert_string_equal(cr.cert, "-----BEGIN CERTIFICATE-----");
	assert_int_equal((int)cr.expires, 0);
	kube_cred_clear(&cr);
}

static void failures_name_the_plugin(void **state)
{
	(void)state;
	static const struct { const char *body, *want; } cases[] = {
		{ "echo 'An error occurred (ExpiredToken)' >&2; exit 255\n",
		  "exec plugin /bin/sh: exit 255: An error occurred (ExpiredToken)" },
		{ "echo not json\n", "printed no JSON" },
		{ "echo '{\"kind\":\"Secret\",\"status\":{\"token\":\"x\"}}'\n", "kind is not ExecCredential" },
		{ "echo '{\"kind\":\"ExecCredential\"}'\n", "has no status" },
		{ "echo '{\"kind\":\"ExecCredential\",\"status\":{}}'\n", "neither token nor" },
		{ "echo '{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"soon\"}}'\n",
		  "not RFC 3339" },
		{ "sleep 5\n", "timed out after 300 ms" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[32];
		snprintf(name, sizeof name, "bad%zu.sh", i);
		struct kube_ctx c = plugin(name, cases[i].body);
		struct kube_cred cr;
		char why[300] = "";
		assert_int_equal(kube_cred_exec(&c, 300, &cr, why, sizeof why), -1);
		assert_contains(why, cases[i].want);
		assert_null(cr.token);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_token_and_its_expiry),
		cmocka_unit_test(a_client_certificate),
		cmocka_unit_test(failures_name_the_plugin),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
