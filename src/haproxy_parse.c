/* haproxy_parse: `show servers state` and `show stat`, columns found by the
 * header's names. Rows may be shorter than the header (absent values are
 * -1) and lines may end in CRLF; anything that is not this text — binary
 * bytes, an error message where a table should be, a word where a number
 * should be — is an error naming the line. */
#include "haproxy_parse.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haproxy_index.h"
#include "haproxy_text.h"

/* --- show servers state ---------------------------------------------- */

enum { SV_BE, SV_SRV, SV_UW, SV_IW, SV_OP, SV_ADMIN, SV_NCOLS };
static const char *const sv_names[SV_NCOLS] = {
	"be_name", "srv_name", "srv_uweight", "srv_iweight", "srv_op_state", "srv_admin_state"
};

static int sv_header(char *line, int lineno, struct haproxy_fields *hdr, long *col,
		     struct co_error *err)
{
	if (line[0] != '#') {
		haproxy_not_a_table(err, "show servers state", line, lineno,
				    "a '# be_id be_name ...' header");
		return -1;
	}
	if (haproxy_split_spaces(line + 1, hdr, SIZE_MAX) < 0) {
		co_error_set(err, "show servers state: out of memory");
		return -1;
	}
	for (int c = 0; c < SV_NCOLS; c++)
		col[c] = haproxy_col_index(hdr, sv_names[c]);
	for (int c = SV_BE; c <= SV_UW; c++) {
		if (col[c] < 0) {
			co_error_set(err, "show servers state line %d: header has no '%s' column",
				     lineno, sv_names[c]);
			return -1;
		}
	}
	return 0;
}

static int sv_row(const struct haproxy_fields *row, const long *col, int lineno,
		  struct haproxy_server *out, struct co_error *err)
{
	long long v[SV_NCOLS];
	const char *be = haproxy_field(row, col[SV_BE]), *srv = haproxy_field(row, col[SV_SRV]);
	if (!be || !srv) {
		co_error_set(err, "show servers state line %d: row has no be_name/srv_name", lineno);
		return -1;
	}
	for (int c = SV_UW; c < SV_NCOLS; c++) {
		if (haproxy_parse_ll(haproxy_field(row, col[c]), &v[c]) < 0 || v[c] > 1000000) {
			co_error_set(err, "show servers state line %d: %s '%s' is not a number",
				     lineno, sv_names[c], haproxy_field(row, col[c]));
			return -1;
		}
	}
	out->backend = be;	/* cut in place in the table's copy of the answer */
	out->server = srv;
	out->uweight = (int)v[SV_UW];
	out->iweight = (int)v[SV_IW];
	out->op_state = (int)v[SV_OP];
	out->admin_state = (int)v[SV_ADMIN];
	return 0;
}

/* How many leading fields of a row hold every column read. */
static size_t sv_fields_used(const long *col)
{
	long last = -1;
	for (int c = 0; c < SV_NCOLS; c++)
		if (col[c] > last)
			last = col[c];
	return (size_t)last + 1;
}

static int sv_version(const char *line, int lineno, struct co_error *err)
{
	long long version;
	if (!line) {
		co_error_set(err, "show servers state: empty answer");
		return -1;
	}
	if (haproxy_parse_ll(line, &version) != 0) {
		haproxy_not_a_table(err, "show servers state", line, lineno,
				    "the format version line");
		return -1;
	}
	if (version != 1) {
		co_error_set(err, "show servers state: format version %lld is not supported (expected 1)",
			     version);
		return -1;
	}
	return 0;
}

/* --- finding a row by its two names ------------------------------------
 * Among rows with the same names the first in the answer wins, as a linear
 * find would have it (haproxy_index). */

static void server_names(const void *items, size_t i, const char **a, const char **b)
{
	const struct haproxy_server *s = (const struct haproxy_server *)items + i;
	*a = s->backend;
	*b = s->server;
}

static void stat_names(const void *items, size_t i, const char **a, const char **b)
{
	const struct haproxy_stat *s = (const struct haproxy_stat *)items + i;
	*a = s->pxname;
	*b = s->svname;
}

/* The rows' names point into out->text, the one copy of the answer: no
 * allocation per row, and nothing to free per row. */
int haproxy_parse_servers(const char *text, struct haproxy_servers *out, struct co_error *err)
{
	memset(out, 0, sizeof(*out));
	char *cur = out->text = haproxy_copy_text(text, "show servers state", err), *line;
	struct haproxy_fields hdr = { 0 }, row = { 0 };
	void *grown;
	long col[SV_NCOLS];
	size_t cap = 0, used;
	int lineno = 0, rc = -1;
	if (!out->text)
		return -1;
	if (sv_version(haproxy_next_line(&cur, &lineno), lineno, err) < 0)
		goto done;
	if (!(line = haproxy_next_line(&cur, &lineno))) {
		co_error_set(err, "show servers state: no header after the version line");
		goto done;
	}
	if (sv_header(line, lineno, &hdr, col, err) < 0)
		goto done;
	used = sv_fields_used(col);
	while ((line = haproxy_next_line(&cur, &lineno))) {
		if (line[0] == '#')
			continue;
		if (haproxy_split_spaces(line, &row, used) < 0 ||
		    !(grown = haproxy_grow_items(out->items, &cap, out->n, sizeof(*out->items)))) {
			co_error_set(err, "show servers state: out of memory");
			goto done;
		}
		out->items = grown;
		if (row.n == 0)
			continue;	/* a blank line */
		if (sv_row(&row, col, lineno, &out->items[out->n], err) < 0)
			goto done;
		out->n++;
	}
	haproxy_index_build(&out->index, out->items, out->n, server_names);
	rc = 0;
done:
	if (rc < 0)
		haproxy_servers_done(out);
	free(hdr.v);
	free(row.v);
	return rc;
}

void haproxy_servers_done(struct haproxy_servers *s)
{
	if (!s)
		return;
	free(s->items);
	free(s->text);
	haproxy_index_done(&s->index);
	memset(s, 0, sizeof(*s));
}

const struct haproxy_server *haproxy_servers_find(const struct haproxy_servers *s,
						   const char *backend, const char *server)
{
	size_t i = haproxy_index_find(&s->index, s->items, s->n, server_names, backend, server);
	return i < s->n ? &s->items[i] : NULL;
}

/* --- show stat --------------------------------------------------------- */

enum {
	ST_PX, ST_SV, ST_STATUS, ST_WEIGHT, ST_SCUR, ST_STOT, ST_REQ, ST_5XX, ST_RTIME,
	ST_1XX, ST_2XX, ST_3XX, ST_4XX, ST_OTHER, ST_NCOLS
};
static const char *const st_names[ST_NCOLS] = {
	"pxname", "svname", "status", "weight", "scur", "stot", "req_tot", "hrsp_5xx", "rtime",
	"hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_other"
};

static int st_header(char *line, int lineno, struct haproxy_fields *hdr, long *col,
		     struct co_error *err)
{
	if (line[0] != '#' || haproxy_split_csv(line + 1 + (line[1] == ' '), hdr, SIZE_MAX) < 0) {
		haproxy_not_a_table(err, "show stat", line, lineno,
				    "a '# pxname,svname,...' header");
		return -1;
	}
	for (int c = 0; c < ST_NCOLS; c++)
		col[c] = haproxy_col_index(hdr, st_names[c]);
	if (col[ST_PX] < 0 || col[ST_SV] < 0) {
		co_error_set(err, "show stat line %d: header has no pxname/svname column", lineno);
		return -1;
	}
	return 0;
}

static int st_numbers(const struct haproxy_fields *row, const long *col, int lineno,
		      struct haproxy_stat *st, struct co_error *err)
{
	long long v[ST_NCOLS];
	for (int c = ST_WEIGHT; c < ST_NCOLS; c++) {
		if (c != ST_RTIME && haproxy_parse_ll(haproxy_field(row, col[c]), &v[c]) < 0) {
			co_error_set(err, "show stat line %d: %s '%s' is not a number", lineno,
				     st_names[c], haproxy_field(row, col[c]));
			return -1;
		}
	}
	const char *rt = haproxy_field(row, col[ST_RTIME]);
	char *end = NULL;
	st->rtime_ms = rt && *rt ? strtod(rt, &end) : -1;
	if (rt && *rt && (*end || st->rtime_ms < 0)) {
		co_error_set(err, "show stat line %d: rtime '%s' is not a number", lineno, rt);
		return -1;
	}
	st->weight = v[ST_WEIGHT];
	st->scur = v[ST_SCUR];
	st->stot = v[ST_STOT];
	st->req_tot = v[ST_REQ];
	st->hrsp_5xx = v[ST_5XX];
	st->responses = -1;
	for (int c = ST_5XX; c < ST_NCOLS; c++)
		if (c != ST_RTIME && v[c] >= 0)
			st->responses = (st->responses < 0 ? 0 : st->responses) + v[c];
	return 0;
}

static int st_row(const struct haproxy_fields *row, const long *col, int lineno,
		  struct haproxy_stat *st, struct co_error *err)
{
	const char *px = haproxy_field(row, col[ST_PX]), *sv = haproxy_field(row, col[ST_SV]);
	const char *status = haproxy_field(row, col[ST_STATUS]);
	if (!px || !sv || row->n < 2) {
		haproxy_not_a_table(err, "show stat", row->v[0], lineno,
				    "a CSV row with pxname and svname");
		return -1;
	}
	if (st_numbers(row, col, lineno, st, err) < 0)
		return -1;
	st->pxname = px;	/* cut in place in the table's copy of the answer */
	st->svname = sv;
	st->status = status ? status : "";
	return 0;
}

/* How many leading fields of a row hold every column read: about half of
 * the ~120 columns of HAProxy 2.6. */
static size_t st_fields_used(const long *col)
{
	long last = -1;
	for (int c = 0; c < ST_NCOLS; c++)
		if (col[c] > last)
			last = col[c];
	return (size_t)last + 1;
}

int haproxy_parse_stat(const char *text, struct haproxy_stats *out, struct co_error *err)
{
	memset(out, 0, sizeof(*out));
	char *cur = out->text = haproxy_copy_text(text, "show stat", err), *line;
	struct haproxy_fields hdr = { 0 }, row = { 0 };
	void *grown;
	long col[ST_NCOLS];
	size_t cap = 0, used;
	int lineno = 0, rc = -1;
	if (!out->text)
		return -1;
	if (!(line = haproxy_next_line(&cur, &lineno))) {
		co_error_set(err, "show stat: empty answer");
		goto done;
	}
	if (st_header(line, lineno, &hdr, col, err) < 0)
		goto done;
	used = st_fields_used(col);
	while ((line = haproxy_next_line(&cur, &lineno))) {
		if (!line[0])
			continue;
		if (haproxy_split_csv(line, &row, used) < 0 ||
		    !(grown = haproxy_grow_items(out->items, &cap, out->n, sizeof(*out->items)))) {
			co_error_set(err, "show stat: out of memory");
			goto done;
		}
		out->items = grown;
		if (st_row(&row, col, lineno, &out->items[out->n], err) < 0)
			goto done;
		out->n++;
	}
	haproxy_index_build(&out->index, out->items, out->n, stat_names);
	rc = 0;
done:
	if (rc < 0)
		haproxy_stats_done(out);
	free(hdr.v);
	free(row.v);
	return rc;
}

void haproxy_stats_done(struct haproxy_stats *s)
{
	if (!s)
		return;
	free(s->items);
	free(s->text);
	haproxy_index_done(&s->index);
	memset(s, 0, sizeof(*s));
}

const struct haproxy_stat *haproxy_stats_find(const struct haproxy_stats *s,
					       const char *pxname, const char *svname)
{
	size_t i = haproxy_index_find(&s->index, s->items, s->n, stat_names, pxname, svname);
	return i < s->n ? &s->items[i] : NULL;
}
