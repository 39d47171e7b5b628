/*
 * supply.h — the supply-chain requests' own rules, apart from the crawl's
 * plumbing: how the bulk advisory requests are batched and encoded, what
 * collect keeps of its own token, and how a token list page is read.
 *
 * Advisory batches. The bulk endpoint is asked, for every org package
 * whose document was read, about every version in it:
 * {"<name>": ["<version>", ...], ...}. Packages are added in the order
 * their documents arrive; a batch is closed before a package would take it
 * past SUPPLY_BATCH_BYTES of JSON (a package larger than that alone gets a
 * batch of its own: a package is never split, so each name is answered in
 * exactly one batch). 32 KiB is about the body `npm audit` sends for a
 * project of a thousand dependencies — the size this endpoint serves all
 * day — so no batch asks more of it than a large `npm audit` does, one
 * failed batch leaves few packages unknown, and a batch's record (which
 * holds the body it sent) stays small. An org of 10,000 packages of 30
 * versions asks about 100 batches, next to its 30,000 other requests. The
 * body is sent gzip-compressed (Content-Encoding: gzip), as npm audit
 * sends it. J1NPM_ADVISORY_BATCH_BYTES (64 or more) sets another bound,
 * for tests and for a registry that wants smaller bodies.
 *
 * The token. The registry names each token in /-/npm/v1/tokens by `key`,
 * the SHA-512 of the token as lowercase hex; collect computes that of its
 * own token (token_key in the dump), which tells transform — and the
 * read-only check here — which listed token is the one collecting. The
 * list's `token` member is the registry's own short prefix of each token
 * (what `npm token list` prints); it is kept as answered: a few characters
 * of a token, shown to whoever holds it, do not help guess the rest.
 */
#ifndef J1NPM_COLLECT_SUPPLY_H
#define J1NPM_COLLECT_SUPPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "secret.h"
#include "strlist.h"

#define SUPPLY_BATCH_BYTES ((size_t)32 << 10)
#define SUPPLY_BATCH_MIN ((size_t)64)
/* The token list is paged through urls.next at most this many pages. */
#define SUPPLY_TOKEN_PAGES_MAX 100

struct supply_batcher {
    size_t max;           /* the bound on one batch's JSON */
    struct buf cur;       /* the open batch: "{" and its members so far, unclosed */
    size_t cur_packages;  /* packages in cur */
    struct strlist ready; /* closed batches, each a whole JSON object */
};

/* max 0: SUPPLY_BATCH_BYTES, or J1NPM_ADVISORY_BATCH_BYTES when set (a bad
 * value is an ERR_USAGE error). */
int supply_batcher_init(struct supply_batcher *b, size_t max, struct err *e);
/* Adds one package and its versions (n > 0), closing the open batch first
 * when this package would take it past the bound. */
void supply_batcher_add(struct supply_batcher *b, const char *name, const char *const *versions,
                        size_t n);
/* Closes the open batch (if it holds a package). */
void supply_batcher_close(struct supply_batcher *b);
void supply_batcher_free(struct supply_batcher *b);

/* [p, p+n) gzip-compressed into out (replacing its contents). */
int supply_gzip(const char *p, size_t n, struct buf *out, struct err *e);

/* The token's key as the registry lists it: 128 lowercase hex digits. */
void supply_token_key(const struct secret *token, char out[129]);

/* What one page of /-/npm/v1/tokens says. */
struct supply_tokens_page {
    bool found;       /* the token with key token_key is on this page */
    bool readonly;    /* its "readonly" is true */
    char created[40]; /* its "created", when a short string */
    struct buf next;  /* urls.next as a request path ("/-/npm/v1/tokens?..."), or empty */
};

/* Reads a token list page. urls.next is taken only when it names the token
 * list on this registry: a path starting "/-/npm/v1/tokens", or registry
 * (the base URL, ending in '/') followed by "-/npm/v1/tokens"; with no
 * byte outside printable ASCII. -1 when the body is not a JSON object. */
int supply_tokens_read(const char *body, size_t n, const char *token_key, const char *registry,
                       struct supply_tokens_page *pg, struct err *e);
void supply_tokens_page_free(struct supply_tokens_page *pg);

#endif
