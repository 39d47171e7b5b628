/*
 * config.h — where collect finds its registry and its token.
 *
 * Registry, the first of:
 *   1. --registry URL;
 *   2. npm's environment: npm_config_registry in any case (npmrc.h);
 *   3. the org's scoped registry: npm_config_@ORG:registry, else the line
 *      @ORG:registry= in the user config (for an org, npm's scope is @ORG);
 *   4. registry= in the user config;
 *   5. https://registry.npmjs.org/.
 * The user config is $NPM_CONFIG_USERCONFIG / $npm_config_userconfig, else
 * ~/.npmrc, as for the token. Values get npm's ${VAR} expansion; an unset
 * ${VAR} is an error naming it (npm would use the literal text as a URL).
 * One difference from npm, on purpose: npm lets a scoped registry win even
 * over --registry for the scope's packages; here what the user typed or
 * exported for this run wins, and --verbose says where the registry came
 * from. Plain http is refused unless the host is loopback or
 * --allow-insecure-http is given: the token would cross the network in
 * clear.
 *
 * Token: --token-file FILE, else $NPM_TOKEN, else npm's user config
 * ($NPM_CONFIG_USERCONFIG / $npm_config_userconfig, else ~/.npmrc), the
 * `//host/path/:_authToken=` line that matches the registry. Never argv.
 */
#ifndef J1NPM_COLLECT_CONFIG_H
#define J1NPM_COLLECT_CONFIG_H

#include <stdbool.h>

#include "buf.h"
#include "err.h"
#include "secret.h"

/* The registry for org (without '@'), as a URL ending in '/'. */
int config_registry(const char *flag, const char *org, bool allow_insecure, struct buf *out,
                    struct err *e);
int config_token(const char *token_file, const char *registry, struct secret *tok, struct err *e);

#endif
