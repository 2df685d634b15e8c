/* tokens: who may use the engine's TCP API. A tokens file has lines
 * "ROLE NAME TOKEN" (ROLE watch or operate), '#' starts a comment. The
 * token itself is a secret: it never appears in an error, a log or the
 * journal; NAME is what the journal records as the actor. */
#ifndef CUTOVER_TOKENS_H
#define CUTOVER_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#include "cutover/error.h"

enum token_role { ROLE_NONE, ROLE_WATCH, ROLE_OPERATE };

struct tokens;

/* Loads path. Refuses (-1, err names the file and, for a bad line, its
 * line:col) a file readable or writable by group or others (the message
 * gives its mode, e.g. "mode 0644; chmod 600 it"), a line that is not three
 * fields, an unknown role, a duplicate name or token, a token shorter than
 * 16 bytes, and a file with no token at all. Never puts a token in err. */
int tokens_load(const char *path, struct tokens **out, struct co_error *err);
void tokens_free(struct tokens *t);	/* NULL: no-op */

/* The role and name for a presented token (from "Authorization: Bearer X"),
 * ROLE_NONE when it matches none. Every stored token is compared, each in
 * constant time (CRYPTO_memcmp over a hash of both), so the time taken says
 * nothing about which token or how much of it matched. name may be NULL. */
enum token_role tokens_check(const struct tokens *t, const char *presented,
			     const char **name);

const char *token_role_name(enum token_role r);	/* "watch" / "operate" / "none" */

/* Reads a client's token file (first non-comment line, trimmed); refuses
 * one readable by group or others like tokens_load. out is malloc'd. */
int token_file_read(const char *path, char **out, struct co_error *err);

#endif
