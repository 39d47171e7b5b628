/*
 * config.h — where collect finds its registry and its token.
 *
 * Registry: --registry, else $npm_config_registry / $NPM_CONFIG_REGISTRY,
 * else https://registry.npmjs.org/. Plain http is refused unless the host
 * is loopback or --allow-insecure-http is given: the token would cross the
 * network in clear.
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

int config_registry(const char *flag, bool allow_insecure, struct buf *out, struct err *e);
int config_token(const char *token_file, const char *registry, struct secret *tok, struct err *e);

#endif
