/* error: a caller-given error record, and a list of located diagnostics. */
#ifndef CUTOVER_ERROR_H
#define CUTOVER_ERROR_H

#include <stddef.h>

/* One failure, described in words that name its place (file, service,
 * router instance). The core fills it; only main() turns it into an exit. */
struct co_error {
	char msg[512];
};

void co_error_set(struct co_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void co_error_clear(struct co_error *err);

/* One problem found in an input file, at line:col, under a JSON path. */
struct diag {
	int line;
	int col;
	char *path;	/* "services[3].green.health", or "" for the document */
	char *msg;
};

struct diag_list {
	struct diag *items;
	size_t n;
	size_t cap;
};

void diag_list_init(struct diag_list *list);
void diag_list_done(struct diag_list *list);
/* Orders by line, then column, keeping the order of equal places. */
void diag_list_sort(struct diag_list *list);
void diag_add(struct diag_list *list, int line, int col, const char *path,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
