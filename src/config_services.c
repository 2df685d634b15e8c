/* config_services: the services list as a whole — entries, unique names and
 * backends, and the groups derived from them. */
#include "config_internal.h"
#include "config_service.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct keyed {
	const char *key;
	size_t index;
};

static int by_key(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->index > y->index) - (x->index < y->index);
}

static bool in_order(const struct keyed *k, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (by_key(&k[i - 1], &k[i]) > 0)
			return false;
	return true;
}

/* Sorting keeps this O(n log n): a 5,000-service file checks in milliseconds.
 * Files are often written in name order and most have few groups, so a
 * linear look first spares qsort's n log n strcmp calls on sorted input. */
static struct keyed *sorted_keys(const struct config *cfg, int which)
{
	struct keyed *k = malloc((cfg->n_services ? cfg->n_services : 1) * sizeof(*k));
	if (!k)
		return NULL;
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct service_conf *s = &cfg->services[i];
		const char *v = which == 0 ? s->name : which == 1 ? s->route.backend : s->group;
		k[i] = (struct keyed){ v ? v : "", i };
	}
	if (!in_order(k, cfg->n_services))
		qsort(k, cfg->n_services, sizeof(*k), by_key);
	return k;
}

/* k: the services sorted by the field, from sorted_keys(cfg, which). */
static void check_unique(struct cfg_reader *r, const cJSON *arr, const struct config *cfg,
			 const struct keyed *k, int which, const char *field)
{
	char p[CFG_PATH_MAX], item[CFG_PATH_MAX], first[CFG_PATH_MAX];
	if (!k)
		return;
	for (size_t i = 1; i < cfg->n_services; i++) {
		if (!*k[i].key || strcmp(k[i].key, k[i - 1].key) != 0)
			continue;
		size_t a = k[i].index;
		const cJSON *node = cJSON_GetArrayItem(arr, (int)a);
		const cJSON *leaf = cJSON_GetObjectItemCaseSensitive(node, which ? "route" : "name");
		if (which && leaf)
			leaf = cJSON_GetObjectItemCaseSensitive(leaf, "backend");
		cfg_path_index(first, "services", k[i - 1].index);
		cfg_path_index(item, "services", a);
		cfg_path(p, item, field);
		cfg_diag(r, leaf ? leaf : node, false, p, "%s '%s' is already used by %s",
			 which ? "backend" : "service name", k[i].key, first);
	}
}

/* Lookups by name (every journal record names its service) are a binary
 * search, not a scan: recovery over a 1,000-service journal did a million
 * strcmp calls. k: the services sorted by name. */
static void index_names(struct config *cfg, const struct keyed *k)
{
	cfg->by_name = malloc((cfg->n_services ? cfg->n_services : 1) * sizeof(size_t));
	if (!k || !cfg->by_name) {
		free(cfg->by_name);	/* config_find_service scans instead */
		cfg->by_name = NULL;
		return;
	}
	for (size_t i = 0; i < cfg->n_services; i++)
		cfg->by_name[i] = k[i].index;
}

static void derive_groups(struct config *cfg)
{
	struct keyed *k = sorted_keys(cfg, 2);
	if (!k)
		return;
	cfg->groups = calloc(cfg->n_services ? cfg->n_services : 1, sizeof(*cfg->groups));
	for (size_t i = 0; i < cfg->n_services && cfg->groups; ) {
		size_t j = i;
		while (j < cfg->n_services && strcmp(k[j].key, k[i].key) == 0)
			j++;
		if (*k[i].key) {
			struct group_conf *g = &cfg->groups[cfg->n_groups++];
			g->name = strdup(k[i].key);
			g->members = malloc((j - i) * sizeof(size_t));
			for (size_t m = i; m < j && g->members; m++)
				g->members[g->n_members++] = k[m].index;
		}
		i = j;
	}
	free(k);
}

/* Groups come out sorted by name; members in file order, since the sort is
 * stable on index. */
void config_read_services(struct cfg_reader *r, const cJSON *root, struct config *cfg)
{
	char p[CFG_PATH_MAX];
	const cJSON *arr = cfg_array(r, root, "services", "", true);
	if (!arr)
		return;
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	if (n == 0) {
		cfg_diag(r, arr, false, "services", "lists no services: nothing to migrate");
		return;
	}
	cfg->services = calloc(n, sizeof(*cfg->services));
	if (!cfg->services)
		return;
	cfg->n_services = n;
	for (const cJSON *c = arr->child; c; c = c->next, i++) {
		cfg_path_index(p, "services", i);
		config_read_service(r, c, p, &cfg->services[i], cfg->router.driver);
	}
	/* One sort by name serves both the duplicate check and the index. */
	struct keyed *k = sorted_keys(cfg, 0);
	check_unique(r, arr, cfg, k, 0, "name");
	index_names(cfg, k);
	free(k);
	/* Two services on one backend would move each other's traffic. */
	k = sorted_keys(cfg, 1);
	check_unique(r, arr, cfg, k, 1, "route.backend");
	free(k);
	derive_groups(cfg);
}

void config_free_services(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_services; i++)
		config_free_service(&cfg->services[i]);
	free(cfg->services);
	for (size_t g = 0; g < cfg->n_groups; g++) {
		free(cfg->groups[g].name);
		free(cfg->groups[g].members);
	}
	free(cfg->groups);
	free(cfg->by_name);
	cfg->by_name = NULL;
	cfg->services = NULL;
	cfg->groups = NULL;
	cfg->n_services = cfg->n_groups = 0;
}

long config_find_service(const struct config *cfg, const char *name)
{
	if (cfg->by_name) {
		size_t lo = 0, hi = cfg->n_services;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const char *m = cfg->services[cfg->by_name[mid]].name;
			int c = strcmp(m ? m : "", name);
			if (c == 0)
				return (long)cfg->by_name[mid];
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return -1;
	}
	for (size_t i = 0; i < cfg->n_services; i++)
		if (cfg->services[i].name && strcmp(cfg->services[i].name, name) == 0)
			return (long)i;
	return -1;
}

long config_find_group(const struct config *cfg, const char *name)
{
	for (size_t g = 0; g < cfg->n_groups; g++)
		if (strcmp(cfg->groups[g].name, name) == 0)
			return (long)g;
	return -1;
}
