/* error: formatting of errors and the located-diagnostic list. */
#include "cutover/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void co_error_set(struct co_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void co_error_clear(struct co_error *err)
{
	if (err)
		err->msg[0] = '\0';
}

void diag_list_init(struct diag_list *list)
{
	memset(list, 0, sizeof(*list));
}

void diag_list_done(struct diag_list *list)
{
	for (size_t i = 0; i < list->n; i++) {
		free(list->items[i].path);
		free(list->items[i].msg);
	}
	free(list->items);
	memset(list, 0, sizeof(*list));
}

void diag_add(struct diag_list *list, int line, int col, const char *path,
	      const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;
		struct diag *items = realloc(list->items, cap * sizeof(*items));
		if (!items)
			return;	/* out of memory: drop the diagnostic, keep the rest */
		list->items = items;
		list->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	struct diag *d = &list->items[list->n];
	d->line = line;
	d->col = col;
	d->path = strdup(path ? path : "");
	d->msg = strdup(buf);
	if (!d->path || !d->msg) {
		free(d->path);
		free(d->msg);
		return;
	}
	list->n++;
}

/* Insertion sort: stable, and the list is nearly sorted already since the
 * loader reads the file top to bottom. */
void diag_list_sort(struct diag_list *list)
{
	for (size_t i = 1; i < list->n; i++) {
		struct diag d = list->items[i];
		size_t j = i;
		while (j > 0 && (list->items[j - 1].line > d.line ||
				 (list->items[j - 1].line == d.line && list->items[j - 1].col > d.col))) {
			list->items[j] = list->items[j - 1];
			j--;
		}
		list->items[j] = d;
	}
}
