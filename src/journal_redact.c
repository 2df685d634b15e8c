/* journal_redact: masking credentials in URLs before they reach the journal
 * (or a screen, or a report): the journal is kept and shared, so it must
 * never hold a secret. */
#include "cutover/journal.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#define MASK "***"

/* Bounded output: copies stop at cap - 1 bytes, the result always ends. */
struct outbuf {
	char *s;
	size_t cap, len;
};

static void put(struct outbuf *o, const char *p, size_t n)
{
	size_t room = o->cap - 1 - o->len;

	if (n > room)
		n = room;
	memcpy(o->s + o->len, p, n);
	o->len += n;
	o->s[o->len] = '\0';
}

static void puts_(struct outbuf *o, const char *p)
{
	put(o, p, strlen(p));
}

/* A parameter name that usually carries a secret: access_token, api_key,
 * client_secret, X-Amz-Signature, X-Amz-Credential, password... Masking a
 * harmless one ("monkey") costs nothing; missing a real one leaks it. */
static bool sensitive_name(const char *p, size_t n)
{
	static const char *const words[] = {
		"token", "passw", "secret", "signature", "credential", NULL
	};
	char low[64];

	if (n == 0 || n >= sizeof(low))
		return n >= sizeof(low);	/* a name that long is odd: mask */
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)p[i]);
	low[n] = '\0';
	for (size_t i = 0; words[i]; i++)
		if (strstr(low, words[i]))
			return true;
	return n >= 3 && strcmp(low + n - 3, "key") == 0;
}

/* The part after "scheme://" up to the path: mask the password, or the
 * whole user part when it has no colon (a bare token used as user). */
static const char *redact_authority(struct outbuf *o, const char *auth)
{
	size_t alen = strcspn(auth, "/?#");
	const char *at = NULL;

	for (size_t i = 0; i < alen; i++)
		if (auth[i] == '@')
			at = auth + i;	/* the last one: passwords may hold '@' */
	if (!at)
		return auth;
	const char *colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon)
		put(o, auth, (size_t)(colon + 1 - auth));
	puts_(o, MASK "@");
	return at + 1;
}

static bool has_scheme(const char *in, const char *sep)
{
	if (sep == in || !isalpha((unsigned char)in[0]))
		return false;
	for (const char *p = in; p < sep; p++)
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
			return false;
	return true;
}

void journal_redact_url(const char *in, char *out, size_t cap)
{
	struct outbuf o = { out, cap, 0 };

	if (!out || cap == 0)
		return;
	out[0] = '\0';
	if (!in)
		return;
	const char *p = in;
	const char *sep = strstr(in, "://");
	if (sep && has_scheme(in, sep)) {
		put(&o, in, (size_t)(sep + 3 - in));
		p = redact_authority(&o, sep + 3);
	}
	size_t n = strcspn(p, "?#");
	put(&o, p, n);
	/* Query and fragment parameters alike: OAuth puts tokens in both. */
	for (p += n; *p; ) {
		put(&o, p++, 1);	/* the '?', '&' or '#' */
		size_t plen = strcspn(p, "&#");
		const char *eq = memchr(p, '=', plen);
		if (eq && eq + 1 < p + plen && sensitive_name(p, (size_t)(eq - p))) {
			put(&o, p, (size_t)(eq + 1 - p));
			puts_(&o, MASK);
		} else {
			put(&o, p, plen);
		}
		p += plen;
	}
}
