/*
 * exitcode.h — the exit statuses shared by all three programs.
 *
 * Scripts chain collect | transform | upload and branch on these, so they are
 * part of the interface and documented in the README. A program's main() maps
 * the class of the error that ended it (err.h) through exit_code_for().
 */
#ifndef J1NPM_EXITCODE_H
#define J1NPM_EXITCODE_H

#include "err.h"

enum {
    EXIT_OK = 0,
    EXIT_FAILURE_ = 1, /* trailing _ : stdlib.h already defines EXIT_FAILURE */
    EXIT_USAGE = 2,
    EXIT_PARTIAL = 3,
    EXIT_AUTH = 4,
    EXIT_WAIT_TIMEOUT = 5, /* upload --wait: finalized, JupiterOne not done when time ran out */
    EXIT_CHANGES = 6, /* transform --fail-on: output written, a change of a named class found */
};

static inline int exit_code_for(enum err_class cls)
{
    switch (cls) {
    case ERR_NONE: return EXIT_OK;
    case ERR_USAGE: return EXIT_USAGE;
    case ERR_PARTIAL: return EXIT_PARTIAL;
    case ERR_AUTH: return EXIT_AUTH;
    case ERR_FAIL:
    default: return EXIT_FAILURE_;
    }
}

#endif
