/*
 * wait.h — --wait[=SECONDS]: after finalize, read the job (GET, as
 * control_read does) until JupiterOne has finished with it, it ended in
 * error, or the time is up.
 *
 * What a status means is decided in one pure function (wait_verdict), so
 * that the rule is tested on its own:
 *
 *   FINISHED                                    done: exit as usual (0, or 3)
 *   FINALIZE_PENDING, FINALIZING_ENTITIES,      still working: read it again
 *   FINALIZING_RELATIONSHIPS, AWAITING_UPLOADS
 *   anything else (ABORTED*, ERROR_BAD_DATA,    failed: exit 1
 *   UNKNOWN, a status this program has never
 *   heard of)
 *
 * An unknown status counts as failed, not as "still working": a job
 * JupiterOne reports in a way we do not understand must not be waited on
 * for an hour and then reported as merely slow.
 *
 * Time is up: exit WAIT_EXIT_TIMEOUT (5), a status of its own. Nothing
 * failed (every object is in and the job is finalized; JupiterOne is still
 * processing it), so neither 1 (a scheduler would upload again) nor 0 (the
 * caller asked to know that it finished) tells the truth.
 *
 * Reads are spaced 1 s, 2 s, 4 s ... up to 15 s apart, never past the
 * deadline; a signal ends the wait at once.
 */
#ifndef J1NPM_UPLOAD_WAIT_H
#define J1NPM_UPLOAD_WAIT_H

#include "exitcode.h"
#include "err.h"

#define WAIT_DEFAULT_S 3600
#define WAIT_DEFAULT_S_STR "3600"
#define WAIT_MAX_S 86400
/* The exit status when --wait's time ran out (README: j1-npm-upload). */
#define WAIT_EXIT_TIMEOUT EXIT_WAIT_TIMEOUT

enum wait_verdict { WAIT_MORE, WAIT_DONE, WAIT_FAILED };

enum wait_verdict wait_verdict(const char *status);
/* The next pause, in ms, after `prev` ms (0: the first). */
long wait_next_pause_ms(long prev);

struct job;
/* Reads j's job until wait_verdict says it is done or failed, or limit_s
 * seconds have passed (j->r->wait_timed_out). 0: done or timed out; -1: it
 * failed (ERR_FAIL), could not be read, or a signal came (r->interrupted). */
int job_wait(struct job *j, long limit_s, struct err *e);

#endif
