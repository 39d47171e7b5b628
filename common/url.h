/*
 * url.h — the little URL handling the programs need: split a base URL,
 * decide whether its host is loopback (plain http is only allowed there),
 * and percent-encode path segments (npm names: "@scope/name" becomes
 * "@scope%2fname", as the npm CLI spells it).
 */
#ifndef J1NPM_URL_H
#define J1NPM_URL_H

#include <stdbool.h>

#include "buf.h"
#include "err.h"

struct url {
    char scheme[8];  /* "http" or "https", lower case */
    char host[256];  /* without brackets for IPv6 */
    int port;        /* explicit port, or 0 */
    char path[1024]; /* always starts and ends with '/' */
};

/* Parses an http(s) base URL; refuses userinfo (credentials in URLs leak
 * into logs), queries and fragments. */
int url_parse(const char *s, struct url *u, struct err *e);
/* "scheme://host[:port]/path/" */
int url_format(const struct url *u, struct buf *out);
bool url_host_is_loopback(const char *host);
/* Percent-encodes everything but RFC 3986 unreserved characters. */
int url_encode(struct buf *out, const char *s);
/* npm's escaped package name: "@scope/name" -> "@scope%2fname"; other
 * characters percent-encoded as for url_encode, '@' kept at the start. */
int url_encode_package(struct buf *out, const char *name);

#endif
