/*
 * input.c — see input.h.
 *
 * Memory: one line at a time (the NDJSON reader's buffer grows to the
 * longest line, i.e. the largest package document) plus the manifest.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fsutil.h"
#include "json.h"
#include "log.h"
#include "ndjson.h"
#include "timeutil.h"

struct manifest_file {
    bool present;
    uint64_t records, bytes;
    char sha256[65];
};

struct reader {
    record_fn fn;
    void *ctx;
    struct input_info *info;
    struct manifest_file files[K_COUNT];
    bool announced; /* the r == NULL call before packuments was made */
    int last_kind;
    struct buf subject;
    char where[600];
};

/* ---- manifest ------------------------------------------------------------ */

static int read_manifest_doc(struct reader *rd, const char *text, size_t n, bool with_files,
                             const char *what, struct err *e)
{
    struct jdoc d = JDOC_INIT;
    struct buf s = BUF_INIT;
    int rc = -1;
    if (jdoc_parse(&d, text, n, e) < 0) {
        err_wrap(e, "%s", what);
        goto out;
    }
    if (!jdoc_is(&d, 0, JT_OBJECT)) {
        err_set(e, ERR_FAIL, "%s: not a JSON object", what);
        goto out;
    }
    int f = jdoc_get(&d, 0, DM_FORMAT);
    if (f < 0 || !jdoc_streq(&d, f, DUMP_FORMAT)) {
        err_set(e, ERR_FAIL, "%s: not a j1-npm-collect dump manifest (format is not %s)", what,
                DUMP_FORMAT);
        goto out;
    }
    struct input_info *info = rd->info;
    info->have_manifest = true;
    int c = jdoc_get(&d, 0, DM_COMPLETE);
    if (c < 0 || jdoc_bool(&d, c, &info->complete) < 0) {
        err_set(e, ERR_FAIL, "%s: \"" DM_COMPLETE "\" must be true or false", what);
        goto out;
    }
    int st = jdoc_get(&d, 0, DM_STOPPED);
    info->stopped = st >= 0 && !jdoc_is_null(&d, st);
    int o = jdoc_get(&d, 0, DM_ORG);
    if (o >= 0 && jdoc_str(&d, o, &s) == 0)
        snprintf(info->org, sizeof info->org, "%s", s.p);
    buf_reset(&s);
    int r = jdoc_get(&d, 0, DM_REGISTRY);
    if (r >= 0 && jdoc_str(&d, r, &s) == 0)
        snprintf(info->registry, sizeof info->registry, "%s", s.p);
    buf_reset(&s);
    int sa = jdoc_get(&d, 0, DM_STARTED_AT); /* the org report's "as of" */
    if (sa >= 0 && jdoc_str(&d, sa, &s) == 0 && !time_parse_iso8601(s.p, s.len, &info->started_at))
        info->started_at = 0;
    int counts = jdoc_get(&d, 0, DM_COUNTS);
    if (jdoc_is(&d, counts, JT_OBJECT)) {
        for (int k = jdoc_first(&d, counts); k > 0; k = jdoc_after_member(&d, counts, k)) {
            size_t kl;
            const char *kn = jdoc_raw(&d, k, &kl);
            int kind = dump_kind_from_name(kn, kl);
            long long v;
            int fv = jdoc_get(&d, k + 1, DM_FAILED);
            if (kind >= 0)
                info->counted[kind] = true;
            if (kind >= 0 && fv >= 0 && jdoc_i64(&d, fv, &v) == 0 && v >= 0)
                info->failed[kind] = (uint64_t)v;
        }
    }
    if (with_files) {
        int files = jdoc_get(&d, 0, DM_FILES);
        if (!jdoc_is(&d, files, JT_ARRAY)) {
            err_set(e, ERR_FAIL, "%s: \"" DM_FILES "\" must be an array", what);
            goto out;
        }
        for (int x = jdoc_first(&d, files); x > 0; x = jdoc_after_elem(&d, files, x)) {
            /* a file entry's "kind" is spelled as a record's */
            int kk = jdoc_get(&d, x, DF_KIND), rr = jdoc_get(&d, x, DM_RECORDS),
                bb = jdoc_get(&d, x, DM_BYTES), hh = jdoc_get(&d, x, DM_SHA256);
            size_t kl;
            const char *kn = jdoc_is(&d, kk, JT_STRING) ? jdoc_raw(&d, kk, &kl) : NULL;
            int kind = kn ? dump_kind_from_name(kn, kl) : -1;
            long long rv, bv;
            buf_reset(&s);
            if (kind < 0 || jdoc_i64(&d, rr, &rv) < 0 || jdoc_i64(&d, bb, &bv) < 0 || rv < 0 ||
                bv < 0 || jdoc_str(&d, hh, &s) < 0 || s.len != 64) {
                err_set(e, ERR_FAIL, "%s: a \"" DM_FILES "\" entry is malformed", what);
                goto out;
            }
            struct manifest_file *mf = &rd->files[kind];
            mf->present = true;
            mf->records = (uint64_t)rv;
            mf->bytes = (uint64_t)bv;
            memcpy(mf->sha256, s.p, 65);
        }
    }
    rc = 0;
out:
    buf_free(&s);
    jdoc_free(&d);
    return rc;
}

/* ---- records ---------------------------------------------------------------- */

struct envelope {
    const char *kind, *subject, *status, *body, *body_text, *error, *request, *fetched_at,
        *token_key;
    size_t kind_n, subject_n, status_n, body_n, body_text_n, error_n, request_n, fetched_at_n,
        token_key_n;
};

/* request.body: the JSON a POST sent. */
static int req_member(void *vctx, const char *k, size_t kl, const char *v, size_t vn)
{
    struct record *r = vctx;
    if (json_key_is(k, kl, DF_REQ_BODY)) {
        r->req_body = v;
        r->req_body_len = vn;
    }
    return 0;
}

/* The kinds a dump made before them does not have (see input.h). */
static bool kind_is_newer(int k)
{
    return k == K_COLLECTOR_PROFILE || k == K_COLLECTOR_TOKENS || k == K_ATTESTATIONS ||
           k == K_ADVISORIES;
}

static int env_member(void *vctx, const char *k, size_t kl, const char *v, size_t vn)
{
    struct envelope *en = vctx;
#define TAKE(name, field)                                                                          \
    if (json_key_is(k, kl, name)) {                                                                \
        en->field = v;                                                                             \
        en->field##_n = vn;                                                                        \
        return 0;                                                                                  \
    }
    TAKE(DF_KIND, kind)
    TAKE(DF_SUBJECT, subject)
    TAKE(DF_STATUS, status)
    TAKE(DF_BODY, body)
    TAKE(DF_BODY_TEXT, body_text)
    TAKE(DF_ERROR, error)
    TAKE(DF_REQUEST, request)
    TAKE(DF_FETCHED_AT, fetched_at)
    TAKE(DF_TOKEN_KEY, token_key)
#undef TAKE
    return 0;
}

static int bad_record(struct reader *rd, struct err *e, const char *why)
{
    return err_set(e, ERR_FAIL, "%s: %s", rd->where, why);
}

static int handle_line(struct reader *rd, const char *line, size_t n, int expect_kind,
                       struct err *e)
{
    struct envelope en;
    memset(&en, 0, sizeof en);
    const char *bad = NULL;
    const char *end = json_each_member(line, line + n, env_member, &en, &bad);
    if (!end || json_skip_ws(end, line + n) != line + n) {
        char why[96];
        snprintf(why, sizeof why, "invalid JSON at byte %zu", (size_t)((bad ? bad : line) - line));
        return bad_record(rd, e, why);
    }
    if (!en.kind || en.kind[0] != '"')
        return bad_record(rd, e, "record without a \"" DF_KIND "\" string");
    int kind = dump_kind_from_name(en.kind + 1, en.kind_n - 2);
    if (kind < 0)
        return bad_record(rd, e, "unknown record kind");
    if (expect_kind >= 0 && kind != expect_kind)
        return bad_record(rd, e, "record of another kind than its file");
    if (kind < rd->last_kind)
        return bad_record(rd, e,
                          "record out of order (the stream must hold the kinds in dump order, "
                          "packuments last)");
    rd->last_kind = kind;
    if (!en.subject || en.subject[0] != '"')
        return bad_record(rd, e, "record without a \"" DF_SUBJECT "\" string");
    buf_reset(&rd->subject);
    if (json_unescape(&rd->subject, en.subject + 1, en.subject_n - 2) < 0 ||
        strlen(rd->subject.p) != rd->subject.len || rd->subject.len == 0)
        return bad_record(rd, e, "record with an empty or unusable \"" DF_SUBJECT "\"");
    struct record r = {0};
    r.kind = (enum dump_kind)kind;
    r.subject = rd->subject.p;
    r.status = -1;
    r.where = rd->where;
    if (en.status && !(en.status_n == 4 && memcmp(en.status, "null", 4) == 0)) {
        char tmp[16];
        if (en.status_n >= sizeof tmp)
            return bad_record(rd, e, "\"" DF_STATUS "\" is not an HTTP status");
        memcpy(tmp, en.status, en.status_n);
        tmp[en.status_n] = '\0';
        char *ep;
        long st = strtol(tmp, &ep, 10);
        if (*ep || st < 100 || st > 599)
            return bad_record(rd, e, "\"" DF_STATUS "\" is not an HTTP status");
        r.status = st;
    }
    if (en.error) {
        if (en.error[0] != '"')
            return bad_record(rd, e, "\"" DF_ERROR "\" must be a string");
        r.failed = true;
    } else if (en.body) {
        r.body = en.body;
        r.body_len = en.body_n;
    } else if (!en.body_text) {
        return bad_record(rd, e,
                          "record with neither \"" DF_BODY "\", \"" DF_BODY_TEXT
                          "\" nor \"" DF_ERROR "\"");
    }
    if (!r.failed && r.status < 0)
        return bad_record(rd, e, "an answer record must have a \"" DF_STATUS "\"");
    if (en.request && en.request[0] == '{')
        json_each_member(en.request, en.request + en.request_n, req_member, &r, NULL);
    if (en.fetched_at && en.fetched_at[0] == '"') {
        r.fetched_at = en.fetched_at;
        r.fetched_at_len = en.fetched_at_n;
    }
    if (en.token_key && en.token_key[0] == '"') {
        r.token_key = en.token_key;
        r.token_key_len = en.token_key_n;
    }
    if (kind == K_PACKUMENTS && !rd->announced) {
        rd->announced = true;
        if (rd->fn(rd->ctx, NULL, e) < 0)
            return -1;
    }
    rd->info->records[kind]++;
    return rd->fn(rd->ctx, &r, e);
}

static int read_stream(struct reader *rd, struct ndr *nr, int expect_kind, bool *saw_manifest,
                       struct err *e)
{
    const char *line;
    size_t n;
    int got;
    ndr_watch(nr, &cli_interrupted); /* a signal stops the read at once, stalled or not */
    while ((got = ndr_next(nr, &line, &n, e)) > 0) {
        if (cli_interrupted)
            return err_set(e, ERR_FAIL, "interrupted");
        snprintf(rd->where, sizeof rd->where, "%s:%lu", ndr_name(nr), ndr_lineno(nr));
        if (n == 0)
            continue;
        if (saw_manifest) {
            if (*saw_manifest)
                return err_set(e, ERR_FAIL, "%s: data after the manifest record", rd->where);
            static const char mkey[] = "{\"" DM_STREAM_KEY "\":";
            if (n > sizeof mkey && memcmp(line, mkey, sizeof mkey - 1) == 0) {
                const char *p = line + sizeof mkey - 1, *end = line + n, *bad = NULL;
                const char *q = json_skip(p, end, &bad);
                const char *tail = q ? json_skip_ws(q, end) : NULL;
                if (!tail || tail >= end || *tail != '}' || json_skip_ws(tail + 1, end) != end)
                    return err_set(e, ERR_FAIL, "%s: malformed manifest record", rd->where);
                if (read_manifest_doc(rd, p, (size_t)(q - p), false, rd->where, e) < 0)
                    return -1;
                *saw_manifest = true;
                continue;
            }
        }
        if (handle_line(rd, line, n, expect_kind, e) < 0)
            return -1;
    }
    return got < 0 ? -1 : 0;
}

static int read_dir(struct reader *rd, const char *dir, bool allow_incomplete, struct err *e)
{
    struct buf m = BUF_INIT;
    char *mp = path_join(dir, DUMP_MANIFEST);
    struct err me = {0};
    struct stat st;
    if (stat(dir, &st) < 0) {
        free(mp);
        return err_set(e, ERR_USAGE, "%s: %s", dir, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        free(mp);
        return err_set(e, ERR_USAGE,
                       "%s is not a directory: --in takes a dump directory, or - for a dump "
                       "stream on standard input (--in - < %s)",
                       dir, dir);
    }
    if (read_file(mp, 16 << 20, &m, &me) == 0) {
        int rc = read_manifest_doc(rd, m.p, m.len, true, mp, e);
        buf_free(&m);
        if (rc < 0) {
            free(mp);
            return -1;
        }
    } else if (!allow_incomplete) {
        buf_free(&m);
        err_set(e, ERR_FAIL,
                "%s has no manifest.json, so the dump is not whole (collect did not finish, or "
                "this is not a dump). Pass --allow-incomplete to transform it anyway: every type "
                "is then marked partial so JupiterOne deletes nothing",
                dir);
        free(mp);
        return -1;
    }
    free(mp);
    for (int k = 0; k < K_COUNT; k++) {
        char *p = path_join(dir, dump_kind_files[k]);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int errn = errno;
            if (errn == ENOENT && !rd->files[k].present && !rd->info->have_manifest) {
                log_warn("%s is missing; its data is marked partial", p);
                free(p);
                continue;
            }
            if (errn == ENOENT && !rd->files[k].present && kind_is_newer(k)) {
                free(p); /* a dump from before this kind: its facts are absent */
                continue;
            }
            err_set(e, ERR_FAIL, "cannot open %s: %s", p, strerror(errn));
            free(p);
            return -1;
        }
        struct ndr *nr = ndr_new(fd, p, 0, e);
        if (!nr) {
            free(p);
            return -1;
        }
        uint64_t before = rd->info->records[k];
        int rc = read_stream(rd, nr, k, NULL, e);
        if (rc == 0 && rd->files[k].present) {
            char sha[65];
            ndr_sha256(nr, sha);
            uint64_t got = rd->info->records[k] - before;
            if (ndr_bytes_in(nr) != rd->files[k].bytes || strcmp(sha, rd->files[k].sha256) != 0)
                rc = err_set(e, ERR_FAIL,
                             "%s does not match the manifest (size or SHA-256 differ): the file "
                             "was damaged or replaced",
                             p);
            else if (got != rd->files[k].records)
                rc = err_set(e, ERR_FAIL, "%s holds %llu records, the manifest says %llu", p,
                             (unsigned long long)got, (unsigned long long)rd->files[k].records);
        } else if (rc == 0 && rd->info->have_manifest) {
            rc = err_set(e, ERR_FAIL, "%s is not listed in the manifest", p);
        }
        rd->info->bytes_in += ndr_bytes_out(nr);
        ndr_close(nr);
        free(p);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int input_read(const char *in, bool allow_incomplete, record_fn fn, void *ctx,
               struct input_info *info, struct err *e)
{
    struct reader rd;
    memset(&rd, 0, sizeof rd);
    memset(info, 0, sizeof *info);
    rd.fn = fn;
    rd.ctx = ctx;
    rd.info = info;
    rd.last_kind = 0;
    int rc;
    if (strcmp(in, "-") == 0) {
        int fd = dup(STDIN_FILENO);
        struct ndr *nr = fd >= 0 ? ndr_new(fd, "standard input", 0, e) : NULL;
        if (!nr) {
            if (fd < 0)
                err_set(e, ERR_FAIL, "cannot read standard input: %s", strerror(errno));
            buf_free(&rd.subject);
            return -1;
        }
        bool saw = false;
        rc = read_stream(&rd, nr, -1, &saw, e);
        info->bytes_in = ndr_bytes_out(nr);
        ndr_close(nr);
        if (rc == 0 && !saw && !allow_incomplete)
            rc = err_set(e, ERR_FAIL,
                         "the stream ended without its manifest record: collect failed or the "
                         "pipe broke upstream. Pass --allow-incomplete to transform what arrived "
                         "(every type is then marked partial)");
    } else {
        rc = read_dir(&rd, in, allow_incomplete, e);
    }
    if (rc == 0 && !rd.announced) {
        rd.announced = true;
        rc = fn(ctx, NULL, e);
    }
    buf_free(&rd.subject);
    return rc;
}
