/* Unit tests for kubeconfig reading: contexts, clusters and users as
 * kubectl writes them, base64 data, relative paths, exec plugins, errors
 * named by file:line:col and key path, $KUBECONFIG, and in-cluster. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cutover/kubeconfig.h"

#define assert_contains(text, part) do { \
	if (!strstr((text), (part))) \
		fail_msg("\"%s\" lacks \"%s\"", (text), (part)); \
} while (0)

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/cutover-kube-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to dir/name; returns the path (static buffer). */
static const char *put(const char *name, const char *text)
{
	static char path[160];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* "hello" and "-----BEGIN X-----" in base64. */
#define B64_HELLO "aGVsbG8="
#define B64_PEM "LS0tLS1CRUdJTiBYLS0tLS0K"

static const char *const two_contexts =
	"apiVersion: v1\n"
	"kind: Config\n"
	"current-context: dev\n"
	"clusters:\n"
	"- name: eks-prod\n"
	"  cluster:\n"
	"    server: https://ABC.gr7.eu-west-1.eks.amazonaws.com\n"
	"    certificate-authority-data: " B64_PEM "\n"
	"- name: kind\n"
	"  cluster:\n"
	"    server: https://127.0.0.1:6443\n"
	"    certificate-authority: certs/ca.crt\n"
	"    insecure-skip-tls-verify: true\n"
	"contexts:\n"
	"- name: dev\n"
	"  context: {cluster: kind, user: dev-user, namespace: shop}\n"
	"- name: prod\n"
	"  context:\n"
	"    cluster: eks-prod\n"
	"    user: eks-admin\n"
	"users:\n"
	"- name: dev-user\n"
	"  user:\n"
	"    token: s3cr3t-token\n"
	"    client-certificate-data: " B64_HELLO "\n"
	"    client-key-data: " B64_PEM "\n"
	"- name: eks-admin\n"
	"  user:\n"
	"    exec:\n"
	"      apiVersion: client.authentication.k8s.io/v1beta1\n"
	"      command: aws\n"
	"      args: [eks, get-token, --cluster-name, prod]\n"
	"      env:\n"
	"      - {name: AWS_PROFILE, value: release}\n"
	"      provideClusterInfo: true\n";

static void the_current_context_names_cluster_user_and_namespace(void **state)
{
	(void)state;
	struct kube_ctx c;
	struct co_error err = { "" };
	const char *f = put("config", two_contexts);
	assert_int_equal(kubeconfig_load(f, NULL, &c, &err), 0);
	assert_string_equal(c.context, "dev");
	assert_string_equal(c.server, "https://127.0.0.1:6443");
	assert_string_equal(c.namespace, "shop");
	assert_string_equal(c.user, "dev-user");
	assert_string_equal(c.token, "s3cr3t-token");
	assert_true(c.insecure);
	assert_int_equal(c.cert_len, 5);
	assert_memory_equal(c.cert_data, "hello", 5);
	assert_string_equal(c.key_data, "-----BEGIN X-----\n");
	/* A relative path is the kubeconfig's folder's. */
	char want[200];
	snprintf(want, sizeof want, "%s/certs/ca.crt", dir);
	assert_string_equal(c.ca_file, want);
	char said[300];
	kube_ctx_describe(&c, said, sizeof said);
	assert_contains(said, "context dev (cluster https://127.0.0.1:6443, user dev-user: token");
	assert_contains(said, "TLS NOT VERIFIED");
	assert_null(strstr(said, "s3cr3t"));
	kube_ctx_free(&c);
}

static void a_named_context_with_an_exec_plugin(void **state)
{
	(void)state;
	struct kube_ctx c;
	struct co_error err = { "" };
	const char *f = put("config", two_contexts);
	assert_int_equal(kubeconfig_load(f, "prod", &c, &err), 0);
	assert_string_equal(c.namespace, "default");
	assert_int_equal(c.ca_len, 18);
	assert_false(c.insecure);
	assert_true(c.has_exec);
	assert_string_equal(c.exec.command, "aws");
	assert_string_equal(c.exec.argv[0], "aws");
	assert_string_equal(c.exec.argv[2], "get-token");
	assert_string_equal(c.exec.argv[4], "prod");
	assert_null(c.exec.argv[5]);
	assert_string_equal(c.exec.env[0], "AWS_PROFILE=release");
	assert_string_equal(c.exec.api_version, "client.authentication.k8s.io/v1beta1");
	assert_true(c.exec.provide_cluster_info);
	char said[300];
	kube_ctx_describe(&c, said, sizeof said);
	assert_contains(said, "user eks-admin: exec aws; CA from data");
	kube_ctx_free(&c);
}

/* Each fault names the file, line, column and key. */
static void errors_name_the_place_and_the_key(void **state)
{
	(void)state;
	struct kube_ctx c;
	struct co_error err = { "" };
	const char *f = put("config", two_contexts);
	assert_int_equal(kubeconfig_load(f, "staging", &c, &err), -1);
	assert_contains(err.msg, "no context named 'staging'");
	f = put("bad64",
		"current-context: a\n"
		"clusters:\n- name: c\n  cluster: {server: 'https://k:443'}\n"
		"contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		"users:\n- name: u\n  user:\n    client-certificate-data: not*base64!\n");
	assert_int_equal(kubeconfig_load(f, NULL, &c, &err), -1);
	assert_contains(err.msg, "/bad64:11:30: users[0].user.client-certificate-data: not base64");
	f = put("http",
		"current-context: a\n"
		"clusters:\n- name: c\n  cluster: {server: 'http://k:80'}\n"
		"contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		"users:\n- name: u\n  user: {token: t}\n");
	assert_int_equal(kubeconfig_load(f, NULL, &c, &err), -1);
	assert_contains(err.msg, "clusters[0].cluster.server: expected an https:// URL");
	f = put("nouser",
		"current-context: a\n"
		"clusters:\n- name: c\n  cluster: {server: 'https://k'}\n"
		"contexts:\n- name: a\n  context: {cluster: c, user: ghost}\n");
	assert_int_equal(kubeconfig_load(f, NULL, &c, &err), -1);
	assert_contains(err.msg, "no user named 'ghost'");
	f = put("notyaml", "clusters: [unclosed\n");
	assert_int_equal(kubeconfig_load(f, NULL, &c, &err), -1);
	assert_contains(err.msg, "not YAML");
	f = put("empty", "");
	assert_int_equal(kubeconfig_load(f, NULL, &c, &err), -1);
	assert_contains(err.msg, "empty");
	assert_int_equal(kubeconfig_load("/nonexistent/kubeconfig", NULL, &c, &err), -1);
	assert_contains(err.msg, "/nonexistent/kubeconfig: No such file");
}

static void the_file_comes_from_the_config_then_kubeconfig_then_home(void **state)
{
	(void)state;
	struct co_error err = { "" };
	char *p = kubeconfig_path("/given/path", &err);
	assert_string_equal(p, "/given/path");
	free(p);
	const char *f = put("second", "x: 1\n");
	char list[400];
	snprintf(list, sizeof list, "/nope/first:%s", f);
	setenv("KUBECONFIG", list, 1);
	p = kubeconfig_path(NULL, &err);
	assert_string_equal(p, f);
	free(p);
	setenv("KUBECONFIG", "/nope/a:/nope/b", 1);
	setenv("HOME", dir, 1);
	assert_null(kubeconfig_path(NULL, &err));
	assert_contains(err.msg, "no kubeconfig");
	char kube[200];
	snprintf(kube, sizeof kube, "%s/.kube", dir);
	assert_int_equal(mkdir(kube, 0700), 0);
	put(".kube/config", "x: 1\n");
	p = kubeconfig_path(NULL, &err);
	assert_contains(p, "/.kube/config");
	free(p);
	unsetenv("KUBECONFIG");
}

static void in_cluster_reads_the_service_account(void **state)
{
	(void)state;
	struct kube_ctx c;
	struct co_error err = { "" };
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(kubeconfig_in_cluster(dir, &c, &err), -1);
	assert_contains(err.msg, "not inside a pod");
	setenv("KUBERNETES_SERVICE_HOST", "10.100.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT_HTTPS", "443", 1);
	assert_int_equal(kubeconfig_in_cluster(dir, &c, &err), -1);
	assert_contains(err.msg, "/token: No such file");
	put("token", "eyJhbGciOi.sa-token\n");
	put("ca.crt", "-----BEGIN CERTIFICATE-----\n");
	put("namespace", "payments\n");
	assert_int_equal(kubeconfig_in_cluster(dir, &c, &err), 0);
	assert_string_equal(c.server, "https://10.100.0.1:443");
	assert_string_equal(c.namespace, "payments");
	assert_contains(c.token_file, "/token");
	assert_null(c.token);	/* read at each use: kubelet rotates it */
	assert_string_equal(c.ca_data, "-----BEGIN CERTIFICATE-----");
	kube_ctx_free(&c);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	assert_int_equal(kubeconfig_in_cluster(dir, &c, &err), 0);
	assert_string_equal(c.server, "https://[fd00::1]:443");
	kube_ctx_free(&c);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, make_dir, remove_dir)
	const struct CMUnitTest tests[] = {
		T(the_current_context_names_cluster_user_and_namespace),
		T(a_named_context_with_an_exec_plugin),
		T(errors_name_the_place_and_the_key),
		T(the_file_comes_from_the_config_then_kubeconfig_then_home),
		T(in_cluster_reads_the_service_account),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
