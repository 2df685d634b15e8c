/* cutover-sim: a connection's insides, shared by its I/O (sim_conn.c) and
 * by the code that decides its answers (sim_serve.c). */
#ifndef CUTOVER_SIM_CONN_H
#define CUTOVER_SIM_CONN_H

#include "sim.h"

/* A head must arrive within this from its first byte (slowloris), an idle
 * keep-alive connection is closed after the other, and a closing one gets a
 * short grace to read our answer before we stop draining its input. */
#define SIM_HEADER_TIMEOUT_NS (10 * SIM_NS_PER_S)
#define SIM_IDLE_TIMEOUT_NS (120 * SIM_NS_PER_S)
#define SIM_DRAIN_TIMEOUT_NS (2 * SIM_NS_PER_S)

enum sim_conn_state {
	SIM_CONN_READING,  /* waiting for (the rest of) a request */
	SIM_CONN_WAITING,  /* answer decided, its timer running */
	SIM_CONN_WRITING,  /* answer partly sent, the rest queued */
	SIM_CONN_HANGING,  /* mode=hang: never answered, closed when the client goes */
	SIM_CONN_DRAINING, /* answered with close: write side shut, input discarded */
	SIM_CONN_DEAD,     /* closed, waiting to be freed after this batch of events */
};

struct sim_conn {
	struct sim_handle h; /* first, so epoll's pointer is also the conn's */
	int fd;
	enum sim_conn_state state;
	uint32_t events;               /* epoll interest now registered */
	struct sim_service *bind_svc;  /* from a --bind listener: every path is this */
	int bind_side;
	char *in;                      /* unprocessed input, NULL when none */
	size_t in_len, in_cap;
	char *out;                     /* unsent output, NULL when none */
	size_t out_len, out_off;
	uint64_t body_left;            /* request body bytes still to discard */
	uint64_t deadline_ns;          /* READING, WRITING, DRAINING: close when passed */
	bool head_started;             /* deadline is the header one */
	bool close_after;              /* close once the current answer is out */
	struct sim_timer timer;
	/* The answer waiting for its timer. */
	struct sim_service *svc;
	int side;
	struct sim_reply reply;
	bool keep_alive, head;
	struct sim_conn *prev, *next;
};

/* What became of a connection after a step: ready for its next request,
 * busy (waiting, writing, hanging, draining) or gone (freed: do not touch). */
enum sim_step { SIM_STEP_READY, SIM_STEP_BUSY, SIM_STEP_GONE };

enum sim_step sim_conn_send(struct sim_loop *L, struct sim_conn *c, const char *buf, size_t len);
void sim_conn_reset(struct sim_loop *L, struct sim_conn *c);
void sim_conn_set_events(struct sim_loop *L, struct sim_conn *c, uint32_t events);

/* sim_serve.c: routes one parsed request and answers it, now or later. */
enum sim_step sim_serve_request(struct sim_loop *L, struct sim_conn *c,
                                const struct sim_request *rq);
enum sim_step sim_serve_answer(struct sim_loop *L, struct sim_conn *c, const struct sim_service *s,
                               int side, const struct sim_reply *r, bool keep_alive, bool head);
enum sim_step sim_serve_error(struct sim_loop *L, struct sim_conn *c, int status, const char *body,
                              bool keep_alive, bool head);

#endif
