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
 *
 * Other keys (registry=, @scope:registry=) are read the same way: the last
 * line for a key wins, as in npm's ini reader. npm's environment layer is
 * every variable whose name starts with npm_config_ in any case; the rest
 * of the name, unless it starts with "//", is lowercased with '_' (not the
 * first) read as '-'; an empty value does not count, and when two
 * spellings are set, the later one in the environment wins, as in npm.
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
/* The raw value (unquoted, not expanded) of the last line "key=value" in
 * config text: 1 and *v, *vn pointing into text; 0 if no line sets key. */
int npmrc_get(const char *text, size_t n, const char *key, size_t keylen, const char **v,
              size_t *vn);
/* npm's environment value for a config key ("registry", "@acme:registry"),
 * or NULL; the variable's name (as spelt in the environment) goes to name. */
const char *npmrc_env_get(const char *key, char *name, size_t name_sz);
/* Expands ${VAR} and ${VAR?} like npm; unresolved names go to *missing
 * (first one only) when not NULL. */
int npmrc_expand(const char *v, size_t n, struct buf *out, char *missing, size_t missing_sz);

#endif
