/*
 * secret.h — the one place credentials live.
 *
 * The npm token and the JupiterOne API key come from an environment variable
 * or a file, never from argv (other users can read a process's arguments).
 * A loaded secret is registered with log.c for redaction, is checked to be a
 * plausible single-line value (a CR or LF would let it inject HTTP headers),
 * and is wiped from memory when freed. `origin` says where it came from, for
 * messages like "the token from NPM_TOKEN was refused" — the value itself is
 * never formatted into any message or file.
 */
#ifndef J1NPM_SECRET_H
#define J1NPM_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct secret {
    char *value; /* NUL-terminated */
    size_t len;
    char origin[256];
};

/* Takes a copy of [v, v+n), trimmed of surrounding whitespace. */
int secret_set(struct secret *s, const char *v, size_t n, const char *origin, struct err *e);
/* First line of a file; warns when the file is readable by group or others. */
int secret_from_file(struct secret *s, const char *path, const char *what, struct err *e);
/* 1 if the variable is set and non-empty (loaded), 0 if not, -1 on error. */
int secret_from_env(struct secret *s, const char *var, const char *what, struct err *e);
bool secret_present(const struct secret *s);
void secret_free(struct secret *s);

#endif
