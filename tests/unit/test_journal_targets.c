/* Unit tests for journal_seed_targets: the weight the journal last set per
 * service becomes the model's target (the last outcome wins; applied,
 * reverted and reconciled count, failed and intents do not), a missing
 * journal is nothing to seed and creates nothing, and a journal that
 * cannot be read is an error naming it. */
#include "journal_fixture.h"

#include "cutover/journal_targets.h"
#include "cutover/model.h"

enum { S_API, S_NIGHTLY, S_WEB, N_SVC };

/* A config over the fixture's directory: api and web exposed, nightly a job. */
static struct config *make_config(const char *state_dir, const char *release)
{
	char json[2048];
	struct diag_list d;
#define SVC(name, kind) \
	"{\"name\":\"" name "\",\"kind\":\"" kind "\"," \
	"\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},\"green\":{\"health\":\"http://127.0.0.1:1/g\"}}"
	snprintf(json, sizeof(json), "{\"release\":\"%s\",\"state_dir\":\"%s\",\"services\":["
		 SVC("api", "exposed") "," SVC("nightly", "job") "," SVC("web", "exposed") "]}",
		 release, state_dir);
#undef SVC
	diag_list_init(&d);
	struct config *cfg = config_parse("test.json", json, strlen(json), &d);
	diag_list_done(&d);
	if (!cfg)
		fail_msg("config_parse failed");
	return cfg;
}

/* One outcome record: result for service, with field set to value (a
 * negative value writes JSON null). */
static void outcome(struct journal *j, const char *service, const char *result,
		    const char *field, int value)
{
	struct co_error err = { "" };
	cJSON *p = cJSON_CreateObject();

	cJSON_AddStringToObject(p, "service", service);
	cJSON_AddStringToObject(p, "result", result);
	if (value < 0)
		cJSON_AddNullToObject(p, field);
	else
		cJSON_AddNumberToObject(p, field, value);
	cJSON_AddStringToObject(p, "instance", "rehearsal");
	if (journal_append(j, "outcome", "p1", p, &err) != 0)
		fail_msg("journal_append: %s", err.msg);
	cJSON_Delete(p);
}

/* Seeds a fresh model from path (NULL: the release's own) and copies out
 * each service's target. Returns what journal_seed_targets returned. */
static int seed(const struct config *cfg, const char *path, int *target, struct co_error *err)
{
	struct model m;
	struct snapshot snap = { 0 };

	assert_int_equal(model_init(&m, cfg, err), 0);
	int rc = journal_seed_targets(path, cfg, &m, err);
	assert_int_equal(model_snapshot(&m, &snap), 1);
	for (size_t i = 0; i < N_SVC; i++)
		target[i] = snap.svc[i].target_weight;
	snapshot_done(&snap);
	model_done(&m);
	return rc;
}

static void missing_journal_seeds_nothing_and_creates_nothing(void **state)
{
	struct fx *f = *state;
	char dir[160];
	struct stat st;
	int t[N_SVC];
	struct co_error err = { "" };

	snprintf(dir, sizeof(dir), "%s/state/not-yet", f->dir);
	struct config *cfg = make_config(dir, RELEASE);
	assert_int_equal(seed(cfg, NULL, t, &err), 0);
	for (size_t i = 0; i < N_SVC; i++)
		assert_int_equal(t[i], WEIGHT_UNKNOWN);
	snprintf(dir, sizeof(dir), "%s/state", f->dir);
	assert_int_equal(stat(dir, &st), -1);	/* status must write nothing */
	config_free(cfg);
}

static void last_outcome_wins_per_service(void **state)
{
	struct fx *f = *state;
	int t[N_SVC];
	struct co_error err = { "" };
	struct config *cfg = make_config(f->dir, RELEASE);
	struct journal *j = jopen(f);

	outcome(j, "api", "applied", "to", 25);
	outcome(j, "web", "applied", "to", 5);
	outcome(j, "api", "applied", "to", 50);
	outcome(j, "nightly", "applied", "to", 100);
	journal_close(j);
	assert_int_equal(seed(cfg, NULL, t, &err), 0);
	assert_int_equal(t[S_API], 50);
	assert_int_equal(t[S_WEB], 5);
	assert_int_equal(t[S_NIGHTLY], 100);
	config_free(cfg);
}

static void reverted_takes_from_and_reconciled_takes_found(void **state)
{
	struct fx *f = *state;
	int t[N_SVC];
	struct co_error err = { "" };
	struct config *cfg = make_config(f->dir, RELEASE);
	struct journal *j = jopen(f);

	outcome(j, "api", "applied", "to", 25);
	outcome(j, "api", "reverted", "from", 10);	/* put back to 10 */
	outcome(j, "web", "applied", "to", 5);
	outcome(j, "web", "reconciled", "found", 40);
	journal_close(j);
	assert_int_equal(seed(cfg, NULL, t, &err), 0);
	assert_int_equal(t[S_API], 10);
	assert_int_equal(t[S_WEB], 40);
	config_free(cfg);
}

static void failed_outcomes_intents_and_nulls_change_nothing(void **state)
{
	struct fx *f = *state;
	int t[N_SVC];
	struct co_error err = { "" };
	struct config *cfg = make_config(f->dir, RELEASE);
	struct journal *j = jopen(f);

	outcome(j, "api", "applied", "to", 25);
	outcome(j, "api", "failed", "to", 80);		/* the instance did not change */
	outcome(j, "api", "reconciled", "found", -1);	/* the router could not tell */
	append(j, "intent", "p2", "web");		/* no outcome: not a set weight */
	journal_close(j);
	assert_int_equal(seed(cfg, NULL, t, &err), 0);
	assert_int_equal(t[S_API], 25);
	assert_int_equal(t[S_WEB], WEIGHT_UNKNOWN);
	config_free(cfg);
}

static void removed_services_and_split_jobs_are_skipped(void **state)
{
	struct fx *f = *state;
	int t[N_SVC];
	struct co_error err = { "" };
	struct config *cfg = make_config(f->dir, RELEASE);
	struct journal *j = jopen(f);

	outcome(j, "gone", "applied", "to", 30);	/* since removed from the config */
	outcome(j, "nightly", "applied", "to", 100);
	outcome(j, "nightly", "applied", "to", 25);	/* a job cannot hold 25 */
	outcome(j, "web", "applied", "to", 101);
	journal_close(j);
	assert_int_equal(seed(cfg, NULL, t, &err), 0);
	assert_int_equal(t[S_NIGHTLY], 100);
	assert_int_equal(t[S_WEB], WEIGHT_UNKNOWN);
	assert_int_equal(t[S_API], WEIGHT_UNKNOWN);
	config_free(cfg);
}

static void an_explicit_path_is_read_instead_of_the_release_journal(void **state)
{
	struct fx *f = *state;
	int t[N_SVC];
	struct co_error err = { "" };
	struct config *cfg = make_config(f->dir, "other");	/* its own journal is missing */
	struct journal *j = jopen(f);

	outcome(j, "web", "applied", "to", 75);
	journal_close(j);
	assert_int_equal(seed(cfg, NULL, t, &err), 0);
	assert_int_equal(t[S_WEB], WEIGHT_UNKNOWN);
	assert_int_equal(seed(cfg, f->path, t, &err), 0);
	assert_int_equal(t[S_WEB], 75);
	config_free(cfg);
}

static void an_unreadable_journal_is_an_error_naming_it(void **state)
{
	struct fx *f = *state;
	int t[N_SVC];
	struct co_error err = { "" };
	struct config *cfg = make_config(f->dir, RELEASE);

	/* A directory where the file should be: opens, but cannot be read
	 * (and, unlike a mode of 000, fails under root too). */
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(seed(cfg, NULL, t, &err), -1);
	assert_non_null(strstr(err.msg, f->path));
	assert_int_equal(t[S_API], WEIGHT_UNKNOWN);
	config_free(cfg);
}

/* A screen following the journal takes outcomes one at a time: the same
 * rules as the whole read, record by record. */
static void one_record_at_a_time_follows_the_same_rules(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct config *cfg = make_config(f->dir, RELEASE);
	struct model m;
	struct snapshot snap = { 0 };
	const char *recs[] = {
		"{\"type\":\"outcome\",\"service\":\"api\",\"result\":\"applied\",\"to\":25}",
		"{\"type\":\"intent\",\"service\":\"web\",\"from\":0,\"to\":50}",
		"{\"type\":\"outcome\",\"service\":\"web\",\"result\":\"failed\",\"to\":50}",
		"{\"type\":\"outcome\",\"service\":\"nightly\",\"result\":\"applied\",\"to\":25}",
		"{\"type\":\"outcome\",\"service\":\"gone\",\"result\":\"applied\",\"to\":25}",
		"{\"type\":\"outcome\",\"service\":\"api\",\"result\":\"reverted\",\"from\":10,\"to\":25}",
	};
	assert_int_equal(model_init(&m, cfg, &err), 0);
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		cJSON *r = cJSON_Parse(recs[i]);
		assert_non_null(r);
		journal_target_note(r, cfg, &m);
		cJSON_Delete(r);
	}
	assert_int_equal(model_snapshot(&m, &snap), 1);
	assert_int_equal(snap.svc[S_API].target_weight, 10);		/* reverted: from */
	assert_int_equal(snap.svc[S_WEB].target_weight, WEIGHT_UNKNOWN);	/* failed, intent */
	assert_int_equal(snap.svc[S_NIGHTLY].target_weight, WEIGHT_UNKNOWN);	/* a job at 25 */
	snapshot_done(&snap);
	model_done(&m);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(missing_journal_seeds_nothing_and_creates_nothing),
		T(last_outcome_wins_per_service),
		T(reverted_takes_from_and_reconciled_takes_found),
		T(failed_outcomes_intents_and_nulls_change_nothing),
		T(removed_services_and_split_jobs_are_skipped),
		T(an_explicit_path_is_read_instead_of_the_release_journal),
		T(an_unreadable_journal_is_an_error_naming_it),
		T(one_record_at_a_time_follows_the_same_rules),
	};

	RUN_SUITE(tests);
}
