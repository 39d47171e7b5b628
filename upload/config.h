/*
 * config.h — what upload needs to know before it reads a byte: where the
 * data goes (API base URL, account), as which job (source, scope or
 * integration instance), and with which key.
 *
 * The source/scope/instance rules and their messages are those of the
 * official `j1-integration sync`, word for word where it has one, so a
 * script that worked with it fails the same way here:
 *
 *   --source api            needs --scope, and no --integrationInstanceId
 *   integration-managed /   need --integrationInstanceId; a --scope is
 *   integration-external    dropped (with a warning; the SDK drops it silently)
 *
 * API key: $JUPITERONE_API_KEY or --api-key-file FILE, never argv (an
 * --api-key flag is refused before this runs). Account: --account, else
 * $JUPITERONE_ACCOUNT. Base URL: --api-base-url, else
 * https://api.us.jupiterone.io; plain http only to a loopback host. A dry
 * run needs none of key, account or instance id: it opens no socket.
 */
#ifndef J1NPM_UPLOAD_CONFIG_H
#define J1NPM_UPLOAD_CONFIG_H

#include <stdbool.h>

#include "buf.h"
#include "err.h"
#include "secret.h"

#define UPLOAD_DEFAULT_BASE_URL "https://api.us.jupiterone.io"

/* As given on the command line (NULL: not given). */
struct upload_flags {
    const char *api_base_url, *account, *instance_id, *source, *scope, *api_key_file;
    bool dry_run;
};

struct upload_config {
    struct buf base_url;     /* normalised, ends with '/' */
    char account[129];       /* "" in a dry run without one */
    const char *source;      /* "integration-managed" | "integration-external" | "api" */
    const char *scope;       /* source api only */
    const char *instance_id; /* integration sources only; NULL in a dry run without one */
    struct secret key;       /* empty in a dry run */
};

/* The --source value is one of the three (the official parse-time check). */
int upcfg_check_source_value(const char *s, struct err *e);
/* Resolves flags and environment into c. Errors are ERR_USAGE. */
int upcfg_resolve(const struct upload_flags *f, struct upload_config *c, struct err *e);
void upcfg_free(struct upload_config *c);

#endif
