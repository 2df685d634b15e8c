/* Parsing `show servers state` and `show stat` by column name: real HAProxy
 * 2.6.12 output, reordered and extra columns, short rows, CRLF, garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/haproxy_parse.h"

/* Captured from haproxy 2.6.12 (`show servers state be_web`) after ten
 * requests through a frontend; blue answers 200 and green 503. */
static const char real_state[] =
	"1\n"
	"# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight"
	" srv_iweight srv_time_since_last_change srv_check_status srv_check_result"
	" srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id"
	" srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr"
	" srv_agent_addr srv_agent_port\n"
	"5 be_web 1 blue 127.0.0.1 2 0 50 50 1 1 0 2 0 0 0 0 - 18081 - 0 0 - - 0\n"
	"5 be_web 2 green 127.0.0.1 2 0 50 50 1 1 0 2 0 0 0 0 - 18082 - 0 0 - - 0\n";

/* `show stat` from the same moment (rows of the two other frontends cut). */
static const char real_stat[] =
	"# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,"
	"eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,"
	"qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,"
	"check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,"
	"hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,"
	"comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,"
	"ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,"
	"check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,"
	"algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,"
	"cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,"
	"ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,"
	"agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,"
	"ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,"
	"h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,"
	"h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,"
	"h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,"
	"h2_total_connections,h2_backend_total_streams,h1_open_connections,"
	"h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,"
	"h1_spliced_bytes_in,h1_spliced_bytes_out,\n"
	"fe,FRONTEND,,,0,1,9984,10,820,815,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,10,0,10,,,"
	",0,5,0,0,5,0,,10,10,10,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,10,10,10,0,0,0,0,,,"
	"0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,10,10,790,745,0,0,\n"
	"be_web,blue,0,0,0,1,,5,410,365,,0,,0,0,0,0,no check,50,1,0,,,1,,,1,5,1,,5,,2,5"
	",,5,,,,0,5,0,0,0,0,,,,5,0,0,,,,,0,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:18081,,http,,"
	",,,,,,0,5,0,,,1,,0,0,0,0,0,1,0,0,1,50,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,\n"
	"be_web,green,0,0,0,1,,5,410,450,,0,,0,0,0,0,no check,50,1,0,,,1,,,1,5,2,,5,,2,"
	"5,,5,,,,0,0,0,0,5,0,,,,5,0,0,,,,,0,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:18082,,http,"
	",,,,,,,0,5,0,,,1,,0,0,0,0,0,1,0,0,1,50,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,\n"
	"be_web,BACKEND,0,0,0,1,999,10,820,815,0,0,,0,0,0,0,UP,100,2,0,,0,1,0,,1,5,0,,1"
	"0,,1,10,,10,,,,0,5,0,0,5,0,,,,10,0,0,0,0,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,http,rou"
	"ndrobin,,,,,,,0,10,0,0,0,,,0,0,0,0,0,,,,,100,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0"
	",0,0,0,2,0,10,10,745,790,0,0,\n";

static void servers_state_from_real_haproxy_is_read_by_name(void **state)
{
	(void)state;
	struct haproxy_servers sv;
	struct co_error err = { "" };
	assert_int_equal(haproxy_parse_servers(real_state, &sv, &err), 0);
	assert_int_equal(sv.n, 2);
	const struct haproxy_server *g = haproxy_servers_find(&sv, "be_web", "green");
	assert_non_null(g);
	assert_int_equal(g->uweight, 50);
	assert_int_equal(g->iweight, 50);
	assert_int_equal(g->op_state, 2);
	assert_int_equal(g->admin_state, 0);
	assert_null(haproxy_servers_find(&sv, "be_web", "nope"));
	assert_null(haproxy_servers_find(&sv, "be_other", "green"));
	haproxy_servers_done(&sv);
	haproxy_servers_done(&sv);	/* done twice is harmless */
}

static void stat_from_real_haproxy_gives_traffic_per_server(void **state)
{
	(void)state;
	struct haproxy_stats st;
	struct co_error err = { "" };
	assert_int_equal(haproxy_parse_stat(real_stat, &st, &err), 0);
	assert_int_equal(st.n, 4);
	const struct haproxy_stat *g = haproxy_stats_find(&st, "be_web", "green");
	assert_non_null(g);
	assert_string_equal(g->status, "no check");
	assert_int_equal(g->weight, 50);
	assert_int_equal(g->hrsp_5xx, 5);
	assert_int_equal(g->responses, 5);
	assert_int_equal(g->req_tot, 5);
	assert_int_equal(g->stot, 5);
	assert_int_equal(g->scur, 0);
	assert_true(g->rtime_ms == 0.0);
	const struct haproxy_stat *b = haproxy_stats_find(&st, "be_web", "blue");
	assert_int_equal(b->hrsp_5xx, 0);
	assert_int_equal(b->responses, 5);
	const struct haproxy_stat *fe = haproxy_stats_find(&st, "fe", "FRONTEND");
	assert_true(fe->rtime_ms < 0);	/* empty for a frontend: absent */
	assert_int_equal(fe->weight, -1);
	assert_string_equal(fe->status, "OPEN");
	haproxy_stats_done(&st);
}

static void servers_state_with_reordered_and_unknown_columns(void **state)
{
	(void)state;
	static const char text[] =
		"1\r\n"
		"# srv_future_thing srv_uweight srv_name srv_admin_state be_name srv_op_state\r\n"
		"x 7 green 1 be_a 2\r\n"
		"\r\n";
	struct haproxy_servers sv;
	struct co_error err = { "" };
	assert_int_equal(haproxy_parse_servers(text, &sv, &err), 0);
	assert_int_equal(sv.n, 1);
	assert_string_equal(sv.items[0].backend, "be_a");
	assert_string_equal(sv.items[0].server, "green");
	assert_int_equal(sv.items[0].uweight, 7);
	assert_int_equal(sv.items[0].admin_state, 1);
	assert_int_equal(sv.items[0].iweight, -1);	/* no such column */
	haproxy_servers_done(&sv);
}

static void servers_state_short_row_leaves_missing_values_absent(void **state)
{
	(void)state;
	static const char text[] =
		"1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight\n"
		"3 be_web 1 blue 127.0.0.1 2 0 100\n"
		"3 be_web 2 green 127.0.0.1 2\n";
	struct haproxy_servers sv;
	struct co_error err = { "" };
	assert_int_equal(haproxy_parse_servers(text, &sv, &err), 0);
	assert_int_equal(sv.n, 2);
	assert_int_equal(sv.items[0].uweight, 100);
	assert_int_equal(sv.items[1].uweight, -1);
	assert_int_equal(sv.items[1].op_state, 2);
	haproxy_servers_done(&sv);
}

static void stat_with_reordered_columns_short_rows_crlf_and_quotes(void **state)
{
	(void)state;
	static const char text[] =
		"# svname,hrsp_5xx,future_col,pxname,check_desc,rtime,req_tot,hrsp_2xx,scur\r\n"
		"green,2,zz,be_a,\"Layer7 wrong status, \"\"503\"\"\",12,40,38,3\r\n"
		"blue,0,zz,be_a\r\n";
	struct haproxy_stats st;
	struct co_error err = { "" };
	assert_int_equal(haproxy_parse_stat(text, &st, &err), 0);
	assert_int_equal(st.n, 2);
	const struct haproxy_stat *g = haproxy_stats_find(&st, "be_a", "green");
	assert_non_null(g);
	assert_true(g->rtime_ms == 12.0);
	assert_int_equal(g->req_tot, 40);
	assert_int_equal(g->hrsp_5xx, 2);
	assert_int_equal(g->responses, 40);
	assert_int_equal(g->scur, 3);
	assert_int_equal(g->stot, -1);
	const struct haproxy_stat *b = haproxy_stats_find(&st, "be_a", "blue");
	assert_non_null(b);
	assert_int_equal(b->req_tot, -1);
	assert_int_equal(b->responses, 0);	/* hrsp_5xx 0 present, the rest absent */
	assert_true(b->rtime_ms < 0);
	haproxy_stats_done(&st);
}

/* 3,000 rows, backends out of order, one name pair repeated: every row is
 * found, and a repeated pair finds its first row, as a linear find would. */
static void servers_state_finds_every_row_and_the_first_of_a_repeat(void **state)
{
	(void)state;
	enum { N = 1500 };
	size_t size = 64 + N * 2 * 40 + 64, len = 0;
	char *text = malloc(size);
	assert_non_null(text);
	len += (size_t)snprintf(text + len, size - len, "1\n# be_name srv_name srv_uweight\n");
	for (int i = 0; i < N; i++) {
		int b = (i * 7919) % N;
		len += (size_t)snprintf(text + len, size - len, "be_%d blue %d\nbe_%d green %d\n",
					b, b % 100, b, 100 - b % 100);
	}
	snprintf(text + len, size - len, "be_3 blue 77\n");
	struct haproxy_servers sv;
	struct co_error err = { "" };
	assert_int_equal(haproxy_parse_servers(text, &sv, &err), 0);
	assert_int_equal(sv.n, 2 * N + 1);
	for (int b = 0; b < N; b++) {
		char be[32];
		snprintf(be, sizeof(be), "be_%d", b);
		const struct haproxy_server *blue = haproxy_servers_find(&sv, be, "blue");
		const struct haproxy_server *green = haproxy_servers_find(&sv, be, "green");
		assert_non_null(blue);
		assert_non_null(green);
		assert_int_equal(blue->uweight, b % 100);
		assert_int_equal(green->uweight, 100 - b % 100);
	}
	assert_null(haproxy_servers_find(&sv, "be_", "blue"));
	assert_null(haproxy_servers_find(&sv, "be_1blue", ""));
	haproxy_servers_done(&sv);
	free(text);
}

/* Each garbage input must fail with a message holding the given text. */
static void expect_servers_error(const char *text, const char *needle)
{
	struct haproxy_servers sv;
	struct co_error err = { "" };
	assert_int_equal(haproxy_parse_servers(text, &sv, &err), -1);
	if (!strstr(err.msg, needle))
		fail_msg("error '%s' lacks '%s'", err.msg, needle);
	assert_int_equal(sv.n, 0);
	assert_null(sv.items);
}

static void expect_stat_error(const char *text, const char *needle)
{
	struct haproxy_stats st;
	struct co_error err = { "" };
	assert_int_equal(haproxy_parse_stat(text, &st, &err), -1);
	if (!strstr(err.msg, needle))
		fail_msg("error '%s' lacks '%s'", err.msg, needle);
	assert_int_equal(st.n, 0);
}

static void servers_state_garbage_is_rejected_with_the_reason(void **state)
{
	(void)state;
	expect_servers_error("", "empty answer");
	expect_servers_error("Permission denied\n", "got 'Permission denied'");
	expect_servers_error("Unknown command: 'show servers'\n", "Unknown command");
	expect_servers_error("2\n# be_name srv_name srv_uweight\n", "version 2");
	expect_servers_error("1\nbe_web green 3\n", "header");
	expect_servers_error("1\n# be_name srv_name\nbe_web green\n", "'srv_uweight'");
	expect_servers_error("1\n# be_name srv_name srv_uweight\nbe_web green heavy\n",
			     "line 3: srv_uweight 'heavy' is not a number");
	expect_servers_error("1\n# be_name srv_name srv_uweight\nbe_web\n", "line 3");
	expect_servers_error("1\n# be_name srv_name srv_uweight\nbe\x01web green 3\n", "not text");
	expect_servers_error("\x16\x03\x01\x02\x00", "byte 0x16");
}

/* The check for control bytes reads eight at a time: one at any offset, in
 * a whole word or in the tail, is found and named by its offset. */
static void servers_state_control_byte_is_found_at_any_offset(void **state)
{
	(void)state;
	static const char good[] = "1\n# be_name srv_name srv_uweight\nbe_web green 3\n";
	static const unsigned char bad[] = { 0x01, 0x1f, 0x7f, 0x0b };
	for (size_t off = 0; off + 1 < sizeof(good); off++) {
		for (size_t b = 0; b < sizeof(bad); b++) {
			char text[sizeof(good)], needle[64];
			memcpy(text, good, sizeof(good));
			text[off] = (char)bad[b];
			snprintf(needle, sizeof(needle), "byte 0x%02x at offset %zu", bad[b], off);
			expect_servers_error(text, needle);
		}
	}
	/* Every byte value, at a place in a word: only controls are refused. */
	for (int c = 1; c < 256; c++) {
		char text[sizeof(good)];
		struct haproxy_servers sv;
		struct co_error err = { "" };
		memcpy(text, good, sizeof(good));
		text[35] = (char)c;	/* inside "be_web" */
		bool control = (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
		int rc = haproxy_parse_servers(text, &sv, &err);	/* a blank may cut a name */
		assert_int_equal(rc < 0 && strstr(err.msg, "not text"), control);
		haproxy_servers_done(&sv);
	}
	struct haproxy_servers sv;
	struct co_error err = { "" };
	assert_int_equal(haproxy_parse_servers("1\n# be_name srv_name srv_uweight\n"
					       "b\xc3\xa9\tgreen\t\t3\r\n", &sv, &err), 0);
	assert_string_equal(sv.items[0].backend, "b\xc3\xa9");	/* bytes >= 0x80 pass */
	assert_int_equal(sv.items[0].uweight, 3);
	haproxy_servers_done(&sv);
}

static void stat_garbage_is_rejected_with_the_reason(void **state)
{
	(void)state;
	expect_stat_error("", "empty answer");
	expect_stat_error("Unknown command. Please enter one of the following commands only :\n",
			  "got 'Unknown command");
	expect_stat_error("# svname,rtime\n", "pxname");
	expect_stat_error("# pxname,svname,scur\nbe,green,lots\n", "line 2: scur 'lots'");
	expect_stat_error("# pxname,svname,rtime\nbe,green,-4\n", "rtime '-4'");
	expect_stat_error("# pxname,svname\nhello world\n", "line 2");
	expect_stat_error("# pxname,svname\nbe,gr\x7f" "een\n", "not text");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(servers_state_from_real_haproxy_is_read_by_name),
		cmocka_unit_test(stat_from_real_haproxy_gives_traffic_per_server),
		cmocka_unit_test(servers_state_with_reordered_and_unknown_columns),
		cmocka_unit_test(servers_state_short_row_leaves_missing_values_absent),
		cmocka_unit_test(servers_state_finds_every_row_and_the_first_of_a_repeat),
		cmocka_unit_test(stat_with_reordered_columns_short_rows_crlf_and_quotes),
		cmocka_unit_test(servers_state_garbage_is_rejected_with_the_reason),
		cmocka_unit_test(servers_state_control_byte_is_found_at_any_offset),
		cmocka_unit_test(stat_garbage_is_rejected_with_the_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
