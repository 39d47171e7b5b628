/*
 * url.h — the little URL handling the programs need: split a base URL,
 * decide whether its host is loopback (plain http, which carries a secret
 * in clear, is only allowed there: url_check_plain_http says so for every
 * program),
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
/* Plain http carries a secret in clear: refused (ERR_USAGE) unless u's
 * host is loopback or allow is set. The message reads "<what> <shown> is
 * plain http: <secret> would travel in clear. Use https<hint>", e.g. what
 * "the registry", secret "the token", hint ", or pass --allow-insecure-http
 * if you really mean it". shown: the URL as the user should see it. */
int url_check_plain_http(const struct url *u, bool allow, const char *what, const char *shown,
                         const char *secret, const char *hint, struct err *e);
/* Percent-encodes everything but RFC 3986 unreserved characters. */
int url_encode(struct buf *out, const char *s);
/* npm's escaped package name: "@scope/name" -> "@scope%2fname"; other
 * characters percent-encoded as for url_encode, '@' kept at the start. */
int url_encode_package(struct buf *out, const char *name);

#endif
