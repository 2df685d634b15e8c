/* cutover-sim: shared types of the service simulator (one event loop, many fake services). */
#ifndef CUTOVER_SIM_H
#define CUTOVER_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Names travel in URLs (/NAME/SIDE/...) and JSON, so they are kept short and
 * limited to [A-Za-z0-9._-]: nothing ever needs escaping. */
#define SIM_NAME_MAX 64
/* A request head larger than this is answered 431 and the connection closed:
 * bounds what one client can make us hold. */
#define SIM_HEADER_MAX 8192
#define SIM_DEFAULT_MAX_CONNS 20000
#define SIM_NS_PER_MS 1000000ull
#define SIM_NS_PER_S 1000000000ull

enum sim_side { SIM_BLUE = 0, SIM_GREEN = 1 };
#define SIM_SIDE_BLUE_BIT (1u << SIM_BLUE)
#define SIM_SIDE_GREEN_BIT (1u << SIM_GREEN)

enum sim_mode { SIM_MODE_OK, SIM_MODE_HANG, SIM_MODE_RESET, SIM_MODE_GARBAGE, SIM_MODE_REFUSE };

/* How a job side starts its runs: by itself at each fire, or when a request
 * for /run reaches it (through a router that picks the side). */
enum sim_trigger { SIM_TRIGGER_SELF, SIM_TRIGGER_ROUTED };

/* What one side of one service does with a request. */
struct sim_behaviour {
	double lat_ms;    /* mean added latency */
	double jitter_ms; /* std-dev of the normal added to lat_ms, result clamped at 0 */
	double err_pct;   /* share (0-100) answered with err_status */
	int status;       /* status of non-error answers */
	int err_status;   /* status of error answers (err_pct, flap) */
	bool body_up;     /* "UP" or "DOWN" in the JSON body of non-error answers */
	enum sim_mode mode;
	unsigned flap_s;  /* 0 = off, else N s up then N s err_status, repeating */
	bool suspended;   /* job side: starts no run, at a fire or on /run */
	enum sim_trigger trigger;
};

struct sim_counts {
	uint64_t requests; /* requests received for the endpoint */
	uint64_t ok;       /* answered with `status` */
	uint64_t errors;   /* answered with `err_status` */
	uint64_t dropped;  /* hang, reset, garbage, refuse */
};

/* Job runs of one side since the simulator started; last_run_ms means
 * something only once runs > 0. */
struct sim_runs {
	uint64_t runs;
	unsigned active;     /* started, run_ms not over yet */
	int64_t last_run_ms; /* wall clock, epoch ms */
};

struct sim_endpoint {
	struct sim_behaviour b;
	uint64_t flap_t0_ns; /* when flap_s was last set: flapping starts "up" there */
	unsigned load_gen;   /* spec load that last reset it to defaults */
	struct sim_counts n;
	struct sim_runs r;
};

struct sim_job;

struct sim_service {
	char name[SIM_NAME_MAX];
	size_t name_len;
	struct sim_endpoint side[2];
	struct sim_job *job; /* NULL until a job key (every_s, run_ms, trigger_url) is set */
};

/* sim_rand.c: small fast PRNG; a seed makes runs repeatable. */
struct sim_rand {
	uint64_t s[4];
};
void sim_rand_seed(struct sim_rand *r, uint64_t seed);
double sim_rand_uniform(struct sim_rand *r);
double sim_rand_normal(struct sim_rand *r);

/* sim_timer.c: indexed min-heap of deadlines; a timer is embedded in its owner,
 * and says itself what to do when it is due. */
#define SIM_TIMER_IDLE ((size_t)-1)
struct sim_loop;
struct sim_timer;
typedef void sim_timer_fn(struct sim_loop *L, struct sim_timer *tm);
struct sim_timer {
	uint64_t due_ns;
	size_t slot;      /* index in the heap, SIM_TIMER_IDLE when not queued */
	sim_timer_fn *fn; /* called once due, after it left the heap */
};
/* The struct holding an embedded timer (or other member), from its address. */
#define SIM_CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
struct sim_timers {
	struct sim_timer **heap;
	size_t n, cap;
};
void sim_timers_init(struct sim_timers *t);
void sim_timers_done(struct sim_timers *t);
void sim_timers_add(struct sim_timers *t, struct sim_timer *tm, uint64_t due_ns);
void sim_timers_cancel(struct sim_timers *t, struct sim_timer *tm);
struct sim_timer *sim_timers_pop_due(struct sim_timers *t, uint64_t now_ns);
uint64_t sim_timers_next_due(const struct sim_timers *t); /* UINT64_MAX if empty */

/* sim_world.c: the services, looked up by name, and what a request gets. */
struct sim_world {
	struct sim_service **svc; /* pointers stay valid for the life of the world */
	size_t n, cap;
	uint32_t *slots; /* open addressing: index + 1, 0 = empty */
	size_t nslots;
	struct sim_counts total;
	uint64_t not_found, control;
	unsigned load_gen;
};
void sim_world_init(struct sim_world *w);
void sim_world_done(struct sim_world *w);
struct sim_service *sim_world_find(const struct sim_world *w, const char *name, size_t len);
struct sim_service *sim_world_get(struct sim_world *w, const char *name, size_t len, uint64_t now_ns);
void sim_world_add_numbered(struct sim_world *w, size_t n, uint64_t now_ns);
bool sim_name_valid(const char *name, size_t len);
void sim_behaviour_default(struct sim_behaviour *b);
const char *sim_side_name(int side);
int sim_side_parse(const char *s, size_t len, unsigned *mask); /* blue|green|both|* */
const char *sim_mode_name(enum sim_mode m);

enum sim_action { SIM_ACT_ANSWER, SIM_ACT_HANG, SIM_ACT_RESET, SIM_ACT_GARBAGE };
struct sim_reply {
	enum sim_action act;
	int status;
	bool body_up;
	bool run;        /* a job run was started: the answer says so */
	int64_t fire_ms; /* with run: the fire it was counted for, -1 none */
	uint64_t delay_ns;
};
/* run: the request asks a routed job side for a run (/run); a suspended side
 * then answers err_status. */
void sim_endpoint_decide(struct sim_world *w, struct sim_endpoint *ep, struct sim_rand *r,
                         uint64_t now_ns, bool run, struct sim_reply *out);

/* sim_patch.c: `key=value` changes, shared by --spec lines and /_sim/set. */
enum {
	SIM_P_LAT = 1u << 0,
	SIM_P_JITTER = 1u << 1,
	SIM_P_ERR_PCT = 1u << 2,
	SIM_P_STATUS = 1u << 3,
	SIM_P_ERR_STATUS = 1u << 4,
	SIM_P_BODY = 1u << 5,
	SIM_P_MODE = 1u << 6,
	SIM_P_FLAP = 1u << 7,
	SIM_P_SUSPENDED = 1u << 8,
	SIM_P_TRIGGER = 1u << 9,
	/* Per job, not per side: set on either side, they set the job. */
	SIM_P_EVERY = 1u << 10,
	SIM_P_RUN_MS = 1u << 11,
	SIM_P_URL = 1u << 12,
};
#define SIM_P_JOB_KEYS (SIM_P_EVERY | SIM_P_RUN_MS | SIM_P_URL)

/* trigger_url: only loopback, so a test can never make the simulator call
 * out of the machine. text is kept for the JSON answers. */
#define SIM_URL_MAX 128
struct sim_url {
	bool set;
	int family; /* AF_INET (127.0.0.1) or AF_INET6 (::1) */
	uint16_t port;
	char text[SIM_URL_MAX];
	char path[SIM_URL_MAX]; /* request target, "/" at least */
};
struct sim_job_conf {
	unsigned every_s; /* fires at epoch seconds that are multiples of it; 0 = off */
	unsigned run_ms;  /* how long one run lasts */
	struct sim_url url;
};
void sim_job_conf_default(struct sim_job_conf *c);

struct sim_patch {
	unsigned mask;
	struct sim_behaviour v;
	struct sim_job_conf job;
};
int sim_patch_set(struct sim_patch *p, const char *key, size_t klen, const char *val, size_t vlen,
                  char *err, size_t errlen);
/* Applies the side's keys to s->side[side] and the job keys to s's job
 * (created if need be). Job timers follow with sim_job_sync. */
void sim_patch_apply(const struct sim_patch *p, struct sim_service *s, int side, uint64_t now_ns);

/* sim_spec.c: the --spec file, loaded whole or not at all. */
int sim_spec_load(struct sim_world *w, const char *path, uint64_t now_ns, char *err, size_t errlen);

/* sim_http.c: request heads in, responses out. */
struct sim_request {
	const char *method;
	size_t method_len;
	const char *target;
	size_t target_len;
	bool keep_alive;
	bool head;
	int64_t fire_ms; /* X-Sim-Fire: the scheduler's fire, epoch ms; -1 absent */
	uint64_t body_len;
	size_t head_len; /* bytes of the request head, final blank line included */
};
int sim_http_parse(const char *buf, size_t len, struct sim_request *rq, int *err_status);
size_t sim_http_response(char *out, size_t cap, int status, const char *ctype, const char *extra,
                         const char *body, size_t body_len, bool keep_alive, bool head);
const char *sim_http_reason(int status);

/* sim_loop.c, sim_conn.c, sim_listen.c, sim_control.c: the event loop and what hangs on it. */
enum sim_kind { SIM_K_LISTENER, SIM_K_CONN, SIM_K_TIMERFD, SIM_K_SIGNALFD, SIM_K_TRIGGER };
struct sim_handle {
	enum sim_kind kind;
};

struct sim_listener {
	struct sim_handle h;
	int fd;                   /* -1 while closed for mode=refuse */
	int port;
	struct sim_service *svc;  /* NULL: the main, path-routed port */
	int side;
	uint64_t retry_ns;        /* re-open attempt after a failed one */
};

struct sim_conn;
struct sim_run;
struct sim_call;

/* A growable byte buffer, for answers too big for the loop's fixed one. */
struct sim_buf {
	char *p;
	size_t len, cap;
};
void sim_buf_printf(struct sim_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_buf_reserve(struct sim_buf *b, size_t room);
void sim_buf_free(struct sim_buf *b);

struct sim_loop {
	int epfd;
	int timerfd;
	int sigfd;
	int spare_fd; /* kept open so EMFILE can be survived: close it, accept, drop */
	struct sim_handle timer_h, sig_h;
	struct sim_timers timers;
	struct sim_timer sweep; /* periodic idle / header timeout check */
	uint64_t timer_armed;
	uint64_t now_ns;
	struct sim_conn *conns; /* all open connections, for the sweep and shutdown */
	struct sim_conn *dead;  /* closed during this batch of events, freed after it */
	size_t nconns, max_conns;
	struct sim_listener *listeners; /* [0] is the main port, then --bind ones */
	size_t nlisteners;
	struct sim_run *runs;   /* job runs in progress, each ending on its timer */
	struct sim_call *calls; /* trigger_url requests in flight */
	struct sim_buf body, big; /* answers over L->out's size (/_sim/jobs) */
	struct sim_world *world;
	struct sim_rand rng;
	const char *host;
	const char *spec_path;
	bool stop;
	char in[16384];
	char out[16384];
};

uint64_t sim_now_ns(void);
int64_t sim_wall_ns(void);
size_t sim_format_ms(char *out, size_t cap, int64_t epoch_ms); /* 2026-12-05T12:00:05.000Z */
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *sim_xmalloc(size_t n);
void *sim_xrealloc(void *p, size_t n);

int sim_loop_init(struct sim_loop *L, struct sim_world *w);
void sim_loop_done(struct sim_loop *L);
void sim_loop_run(struct sim_loop *L);
void sim_loop_reload(struct sim_loop *L);

int sim_listen_open(struct sim_loop *L, struct sim_listener *l, char *err, size_t errlen);
void sim_listen_close(struct sim_loop *L, struct sim_listener *l);
void sim_listen_reconcile(struct sim_loop *L);
void sim_listen_accept(struct sim_loop *L, struct sim_listener *l);

void sim_conn_new(struct sim_loop *L, int fd, struct sim_listener *l);
void sim_conn_event(struct sim_loop *L, struct sim_conn *c, uint32_t events);
void sim_conn_timer(struct sim_loop *L, struct sim_timer *tm);
void sim_conn_sweep(struct sim_loop *L);
void sim_conn_reap(struct sim_loop *L);
void sim_conn_close_all(struct sim_loop *L);

/* Builds a full response to a /_sim/ request in L->out (or, for a large one,
 * L->big); points *resp at it and returns its length. */
size_t sim_control_handle(struct sim_loop *L, const char *path, size_t plen, const char *query,
                          size_t qlen, bool keep_alive, bool head, const char **resp);

/* sim_job.c: job schedulers — fires on the wall clock, runs, and the truth
 * about which side ran for which fire. */
struct sim_job *sim_job_get(struct sim_service *s); /* creates it with defaults */
unsigned sim_job_run_ms(const struct sim_service *s);
void sim_job_sync(struct sim_loop *L, struct sim_service *s);
void sim_job_sync_all(struct sim_loop *L);
void sim_job_catch_up(struct sim_loop *L, struct sim_service *s);
void sim_job_catch_up_all(struct sim_loop *L);
int64_t sim_job_run_start(struct sim_loop *L, struct sim_service *s, int side, int64_t fire_ms);
void sim_job_runs_json(const struct sim_endpoint *ep, char *out, size_t cap);
void sim_job_json(struct sim_loop *L, const struct sim_service *s, struct sim_buf *b);
void sim_job_list_json(struct sim_loop *L, struct sim_buf *b);
void sim_job_free(struct sim_job *j);
/* Job keys of a patch; and, at a spec load, back to the defaults once. */
void sim_job_apply(struct sim_service *s, unsigned mask, const struct sim_job_conf *c);
void sim_job_load_reset(struct sim_service *s, unsigned load_gen);
void sim_job_runs_done(struct sim_loop *L);

/* sim_call.c: the request a job's scheduler sends to trigger_url at a fire. */
void sim_call_start(struct sim_loop *L, struct sim_job *j, int64_t fire_ms);
void sim_call_event(struct sim_loop *L, struct sim_call *c, uint32_t events);
void sim_call_close_all(struct sim_loop *L);

#endif
