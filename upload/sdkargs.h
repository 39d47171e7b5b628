/*
 * sdkargs.h — the two spellings of `j1-integration sync` (and of --wait)
 * that getopt cannot read, turned into ones it can before cli.c parses.
 *
 *   -ur N        the SDK's two-letter short option (commander allows those;
 *                getopt would read -u with the value "r") becomes
 *                --upload-relationship-batch-size N. Also -urN and -ur=N.
 *   --wait       with no "=SECONDS" becomes --wait=WAIT_DEFAULT_S, unless
 *                the next argument is a number (--wait 60 is --wait=60):
 *                an optional value, which cli.c's table cannot express.
 *
 * Only whole arguments in option position are rewritten: the value of an
 * option that takes one (--scope -ur) is skipped, and nothing after "--".
 * Replacement strings are static; the caller's strings are left as they are.
 */
#ifndef J1NPM_UPLOAD_SDKARGS_H
#define J1NPM_UPLOAD_SDKARGS_H

#include "cli.h"

/* Rewrites argv[1..argc) in place; returns the new argc (the first -urN
 * grows into two arguments, a later one is left for getopt to refuse, so
 * argv must have room for argc + 1 entries plus its NULL: sdkargs_copy
 * makes such a copy). */
int sdkargs_rewrite(int argc, char **argv, const struct cli_opt *opts);
/* A copy of argv with room for the rewrite; free with free(). */
char **sdkargs_copy(int argc, char **argv);

#endif
