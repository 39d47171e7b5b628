/*
 * npmrc.h — find the registry token in npm's user config, as npm does.
 *
 * npm keys a token to a registry by its "nerf dart": "//host[:port]/path/"
 * (scheme dropped, default port dropped). A line
 *     //registry.npmjs.org/:_authToken=${NPM_TOKEN}
 * applies to that registry and, like npm, to registries below that path:
 * the lookup tries the registry's own path first, then each parent.
 * Values go through npm's ${VAR} expansion (${VAR?} expands to "" when unset;
 * plain ${VAR} stays literal when unset, and we say so, since npm would then
 * send the literal text as the token). Quotes around a value are removed.
 */
#ifndef J1NPM_NPMRC_H
#define J1NPM_NPMRC_H

#include "err.h"
#include "secret.h"
#include "url.h"

/* "//host[:port]/path/" for a registry. */
int npmrc_nerf_dart(const struct url *u, struct buf *out);
/* Searches config text (the contents of an .npmrc) for the registry's token.
 * Returns 1 and fills tok if found, 0 if not, -1 on error. `origin` names the
 * file for messages. */
int npmrc_find_token(const char *text, size_t n, const struct url *registry, const char *origin,
                     struct secret *tok, struct err *e);
/* Expands ${VAR} and ${VAR?} like npm; unresolved names go to *missing
 * (first one only) when not NULL. */
int npmrc_expand(const char *v, size_t n, struct buf *out, char *missing, size_t missing_sz);

#endif
