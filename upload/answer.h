/*
 * answer.h — what JupiterOne's answer to one synchronization-job request
 * says, and the three questions every caller asks of it: did it take it
 * (2xx), did it refuse our key or account (401/403), has the job ended
 * elsewhere (400 JOB_NOT_AWAITING_UPLOADS)?
 *
 * An answer body is {"job": {...}} or {"error": {"code", "message"}}; at
 * most ANSWER_MAX bytes of it are read, and whatever does not parse leaves
 * the fields empty (the status line alone then decides). The strings are
 * cut to their fields' sizes and control characters become spaces, so an
 * answer can be quoted in a message as it is.
 */
#ifndef J1NPM_UPLOAD_ANSWER_H
#define J1NPM_UPLOAD_ANSWER_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

#define ANSWER_MAX ((size_t)1 << 20)
/* The code of a refusal because the job is no longer awaiting uploads. */
#define ANSWER_JOB_ENDED "JOB_NOT_AWAITING_UPLOADS"
/* Room for answer_describe()'s text. */
#define ANSWER_DESCRIBE_MAX 600

struct answer {
    char status[64];
    char id[130];
    char code[80];
    char message[400];
    bool counters;         /* both upload counters were there, and not negative */
    long long uploaded[2]; /* numEntitiesUploaded, numRelationshipsUploaded */
    /* num{Entities,Relationships}{Created,Updated,Deleted}, set once the
     * job has finished; -1 where the answer has no such number. */
    long long created[2], updated[2], deleted[2];
};

/* Parses r's body into a (all empty when there is none or it is not JSON). */
void answer_read(struct http_req *r, struct answer *a);
/* "HTTP 400 CODE: message", "HTTP 502" or "no answer after N attempt(s): why". */
void answer_describe(const struct http_req *r, const struct answer *a, char *out, size_t n);

/* An answer with a 2xx status. */
bool answer_ok(const struct http_req *r);
/* An answer with 401 or 403: the key or the account was refused. */
bool answer_refused(const struct http_req *r);
/* An answer whose error code says the job left AWAITING_UPLOADS. */
bool answer_job_ended(const struct http_req *r, const struct answer *a);

#endif
