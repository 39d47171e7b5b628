/*
 * http.c — see http.h.
 *
 * Three queues hold every request the engine knows: `ready` (may start now),
 * `waiting` (a retry with a due time) and in flight (attached to the multi
 * handle). The loop moves due retries to the front of `ready` (a retry is
 * older work and should finish first), starts transfers while there are
 * free slots and the rate-limit gate is open, lets libcurl work, and turns
 * finished transfers into a retry or a call of done().
 *
 * Easy handles are pooled and reset between uses; connections live in the
 * multi handle's cache, so reuse does not depend on which easy handle a
 * request gets.
 *
 * Until the first answer (any HTTP status: the server is reachable), a
 * transport failure is most likely a mistake in the URL, not a passing
 * fault, and the user should not wait out the retries in silence:
 *   - a host name that does not resolve fails at once, with a message that
 *     names the host and suggests a typo (DNS hiccups are retried only once
 *     the host has been seen to resolve);
 *   - any other retryable failure (refused, timed out, reset) is retried as
 *     always, but the first of each kind (by libcurl code) is a warning that
 *     says what is retried, why, and for how long at most.
 * After the first answer, retries are as quiet as before (--verbose).
 */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "timeutil.h"

struct http_client {
    CURLM *multi;
    struct http_opts o;
    struct retry_policy policy;
    http_done_fn done;
    void *ctx;
    struct curl_slist *base_hdrs; /* Authorization etc.: copied into each request's list */
    struct http_req *ready_head, *ready_tail;
    struct http_req *waiting; /* unsorted; small */
    struct http_req **inflight;
    int ninflight;
    CURL **pool;
    int npool;
    int64_t gate_until;
    bool cancel;
    uint32_t rnd;
    struct http_stats st;
    bool reached;       /* an answer came: the server is reachable */
    uint64_t warned[2]; /* libcurl codes (< 128) already warned about */
};

/* ---- bodies ------------------------------------------------------------ */

static FILE *spill_file(void)
{
    const char *dir = getenv("TMPDIR");
    struct buf p = BUF_INIT;
    if (!dir || !*dir)
        dir = "/tmp";
    buf_printf(&p, "%s/j1-npm-body-XXXXXX", dir);
    int fd = mkstemp(p.p);
    if (fd < 0) {
        buf_free(&p);
        return NULL;
    }
    unlink(p.p); /* gone from the directory; lives until closed */
    buf_free(&p);
    FILE *f = fdopen(fd, "w+b");
    if (!f)
        close(fd);
    return f;
}

void http_body_reset(struct http_body *b)
{
    buf_free(&b->mem);
    if (b->spill)
        fclose(b->spill);
    b->spill = NULL;
    b->len = 0;
    b->too_large = false;
    jpush_init(&b->json);
}

bool http_body_is_json(struct http_body *b)
{
    return b->len > 0 && jpush_finish(&b->json);
}

int http_body_foreach(struct http_body *b,
                      int (*fn)(void *ctx, const char *p, size_t n, struct err *e), void *ctx,
                      struct err *e)
{
    if (!b->spill)
        return b->mem.len ? fn(ctx, b->mem.p, b->mem.len, e) : 0;
    if (fflush(b->spill) != 0 || fseek(b->spill, 0, SEEK_SET) != 0)
        return err_set(e, ERR_FAIL, "cannot read back a spooled response: %s", strerror(errno));
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, b->spill)) > 0)
        if (fn(ctx, chunk, n, e) < 0)
            return -1;
    if (ferror(b->spill))
        return err_set(e, ERR_FAIL, "cannot read back a spooled response");
    fseek(b->spill, 0, SEEK_END);
    return 0;
}

struct load_ctx {
    struct buf *out;
    size_t max;
};

static int load_chunk(void *vctx, const char *p, size_t n, struct err *e)
{
    struct load_ctx *lc = vctx;
    if (lc->out->len + n > lc->max)
        return err_set(e, ERR_FAIL, "response larger than %zu bytes", lc->max);
    buf_append(lc->out, p, n);
    return 0;
}

int http_body_load(struct http_body *b, struct buf *out, size_t max, struct err *e)
{
    struct load_ctx lc = {out, max};
    return http_body_foreach(b, load_chunk, &lc, e);
}

/* ---- libcurl callbacks ------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct http_req *r = ud;
    struct http_body *b = &r->body;
    const struct http_opts *o = &r->client->o;
    size_t n = size * nmemb;
    if (b->len + n > o->max_body) {
        b->too_large = true;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    if (!b->spill && b->mem.len + n > o->spill_threshold) {
        b->spill = spill_file();
        if (!b->spill || (b->mem.len && fwrite(b->mem.p, 1, b->mem.len, b->spill) != b->mem.len))
            return 0;
        buf_free(&b->mem);
    }
    if (b->spill) {
        if (fwrite(p, 1, n, b->spill) != n)
            return 0;
    } else {
        buf_append(&b->mem, p, n);
    }
    jpush_feed(&b->json, p, n);
    b->len += n;
    r->client->st.bytes_in += n;
    return n;
}

static void copy_header_value(char *dst, size_t dsz, const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    if (n >= dsz)
        n = dsz - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = (unsigned char)v[i] < 0x20 ? ' ' : v[i];
    dst[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    struct http_req *r = ud;
    size_t n = size * nmemb;
    if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        /* A new response (after 100-continue): forget earlier headers. */
        r->content_type[0] = r->etag[0] = r->last_modified[0] = r->date[0] = '\0';
        r->retry_after[0] = '\0';
        return n;
    }
    const char *colon = memchr(p, ':', n);
    if (!colon)
        return n;
    size_t kl = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vl = n - kl - 1;
    struct {
        const char *name;
        char *dst;
        size_t sz;
    } want[] = {
        {"content-type", r->content_type, sizeof r->content_type},
        {"etag", r->etag, sizeof r->etag},
        {"last-modified", r->last_modified, sizeof r->last_modified},
        {"date", r->date, sizeof r->date},
        {"retry-after", r->retry_after, sizeof r->retry_after},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (strlen(want[i].name) == kl && strncasecmp(p, want[i].name, kl) == 0)
            copy_header_value(want[i].dst, want[i].sz, v, vl);
    return n;
}

/* A `once` request's body goes through these instead of CURLOPT_POSTFIELDS:
 * libcurl silently sends a POST again when a reused connection dies before
 * any answer byte ("Connection died, retrying a fresh connect"), which for a
 * request that adds data may deliver it twice. Refusing the rewind turns that
 * into an error the engine sees and reports as `unsure`. */
static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
    struct http_req *r = ud;
    size_t n = size * nitems, left = r->req_body_len - r->body_off;
    if (n > left)
        n = left;
    if (n)
        memcpy(buf, r->req_body + r->body_off, n);
    r->body_off += n;
    return n;
}

static int on_seek(void *ud, curl_off_t offset, int origin)
{
    struct http_req *r = ud;
    if (origin == SEEK_SET && offset == 0 && r->body_off == 0)
        return CURL_SEEKFUNC_OK;
    r->rewind_refused = true;
    return CURL_SEEKFUNC_CANTSEEK;
}

/* ---- queues -------------------------------------------------------------- */

static void ready_push_back(struct http_client *c, struct http_req *r)
{
    r->next = NULL;
    if (c->ready_tail)
        c->ready_tail->next = r;
    else
        c->ready_head = r;
    c->ready_tail = r;
}

static void ready_push_front(struct http_client *c, struct http_req *r)
{
    r->next = c->ready_head;
    c->ready_head = r;
    if (!c->ready_tail)
        c->ready_tail = r;
}

static struct http_req *ready_pop(struct http_client *c)
{
    struct http_req *r = c->ready_head;
    if (r) {
        c->ready_head = r->next;
        if (!c->ready_head)
            c->ready_tail = NULL;
        r->next = NULL;
    }
    return r;
}

static uint32_t next_rand(struct http_client *c)
{
    uint32_t x = c->rnd;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return c->rnd = x ? x : 0x9e3779b9u;
}

/* ---- client ------------------------------------------------------------ */

int http_global_init(struct err *e)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return err_set(e, ERR_FAIL, "cannot initialise libcurl");
    return 0;
}

void http_global_cleanup(void)
{
    curl_global_cleanup();
}

static void wipe_slist(struct curl_slist *l)
{
    for (struct curl_slist *s = l; s; s = s->next)
        if (s->data) {
            volatile char *v = s->data;
            while (*v)
                *v++ = 0;
        }
    curl_slist_free_all(l);
}

/* libcurl's own allocation: running out of memory there ends the process
 * as it does for ours (alloc.h). */
static struct curl_slist *slist_add(struct curl_slist *l, const char *s)
{
    struct curl_slist *n = curl_slist_append(l, s);
    if (!n)
        oom_die(strlen(s));
    return n;
}

struct http_client *http_client_new(const struct http_opts *o, http_done_fn done, void *ctx,
                                    struct err *e)
{
    struct http_client *c = xcalloc(1, sizeof *c);
    c->o = *o;
    if (c->o.concurrency < 1)
        c->o.concurrency = 1;
    if (!c->o.spill_threshold)
        c->o.spill_threshold = 1 << 20;
    if (!c->o.max_body)
        c->o.max_body = (uint64_t)1 << 30;
    if (!c->o.backoff_base_ms)
        c->o.backoff_base_ms = 250;
    if (!c->o.backoff_cap_ms)
        c->o.backoff_cap_ms = 30000;
    c->policy.max_retries = o->retries;
    c->policy.max_wait_ms = (int64_t)o->max_retry_wait_s * 1000;
    c->policy.base_ms = c->o.backoff_base_ms;
    c->policy.cap_ms = c->o.backoff_cap_ms;
    c->done = done;
    c->ctx = ctx;
    c->rnd = (uint32_t)(time_wall_ms() ^ ((int64_t)getpid() << 16)) | 1u;
    c->inflight = xcalloc((size_t)c->o.concurrency, sizeof(struct http_req *));
    c->pool = xcalloc((size_t)c->o.concurrency, sizeof(CURL *));
    c->multi = curl_multi_init();
    if (!c->multi) {
        http_client_free(c);
        err_set(e, ERR_FAIL, "cannot initialise libcurl");
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->o.concurrency);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->o.concurrency);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->o.concurrency * 2);
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);

    if (o->bearer && secret_present(o->bearer)) {
        struct buf h = BUF_INIT;
        buf_printf(&h, "Authorization: Bearer %s", o->bearer->value);
        c->base_hdrs = slist_add(c->base_hdrs, h.p);
        memset(h.p, 0, h.len);
        buf_free(&h);
    }
    for (const char *const *p = o->headers; p && *p; p++)
        c->base_hdrs = slist_add(c->base_hdrs, *p);
    return c;
}

static void cancel_req(struct http_client *c, struct http_req *r, const char *why)
{
    r->outcome = HTTP_CANCELLED;
    snprintf(r->error, sizeof r->error, "%s", why);
    wipe_slist(r->hdrs);
    r->hdrs = NULL;
    c->done(r, c->ctx);
}

static void return_easy(struct http_client *c, CURL *easy)
{
    if (c->npool < c->o.concurrency)
        c->pool[c->npool++] = easy;
    else
        curl_easy_cleanup(easy);
}

void http_cancel_all(struct http_client *c)
{
    c->cancel = true;
}

static void do_cancel(struct http_client *c, const char *why)
{
    /* Whatever asked for it, this is the cancel: a request submitted after
     * it (the abort that follows Ctrl-C) must not be cancelled too by a
     * flag set before and left standing. */
    c->cancel = false;
    for (int i = 0; i < c->ninflight; i++) {
        struct http_req *r = c->inflight[i];
        curl_multi_remove_handle(c->multi, r->easy);
        return_easy(c, r->easy);
        r->easy = NULL;
    }
    /* Detach all lists first: done() may submit, which must not be lost. */
    int n = c->ninflight;
    struct http_req **fl = c->inflight;
    c->ninflight = 0;
    for (int i = 0; i < n; i++)
        cancel_req(c, fl[i], why);
    for (struct http_req *r; (r = ready_pop(c));)
        cancel_req(c, r, why);
    while (c->waiting) {
        struct http_req *r = c->waiting;
        c->waiting = r->next;
        cancel_req(c, r, why);
    }
}

void http_client_free(struct http_client *c)
{
    if (!c)
        return;
    if (c->ninflight || c->ready_head || c->waiting)
        do_cancel(c, "shutting down");
    for (int i = 0; i < c->npool; i++)
        curl_easy_cleanup(c->pool[i]);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    wipe_slist(c->base_hdrs);
    free(c->inflight);
    free(c->pool);
    free(c);
}

void http_submit(struct http_client *c, struct http_req *r)
{
    r->client = c;
    r->attempts = 0;
    r->retries_429 = 0;
    r->status = 0;
    r->error[0] = '\0';
    r->unsure = false;
    r->first_mono_ms = 0;
    memset(&r->body, 0, sizeof r->body);
    jpush_init(&r->body.json);
    ready_push_back(c, r);
}

void http_req_release(struct http_req *r)
{
    http_body_reset(&r->body);
    wipe_slist(r->hdrs);
    r->hdrs = NULL;
}

static void build_headers(struct http_client *c, struct http_req *r)
{
    if (r->hdrs)
        return;
    struct curl_slist *l = NULL;
    for (struct curl_slist *s = c->base_hdrs; s; s = s->next)
        l = slist_add(l, s->data);
    for (const char *const *p = r->headers; p && *p; p++)
        l = slist_add(l, *p);
    /* libcurl adds "Expect: 100-continue" to large POSTs; it costs a round trip. */
    r->hdrs = slist_add(l, "Expect:");
}

static int start(struct http_client *c, struct http_req *r, int64_t now)
{
    CURL *h = c->npool ? c->pool[--c->npool] : curl_easy_init();
    if (!h)
        return -1;
    curl_easy_reset(h);
    build_headers(c, r);
    http_body_reset(&r->body);
    r->content_type[0] = r->etag[0] = r->last_modified[0] = r->date[0] = r->retry_after[0] = '\0';
    r->curl_err[0] = '\0';
    r->status = 0;
    if (r->attempts == 0) {
        r->first_mono_ms = now;
        r->started_wall_ms = time_wall_ms();
    }
    r->attempts++;
    r->easy = h;

    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_PRIVATE, r);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->o.user_agent ? c->o.user_agent : "j1-npm");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->o.timeout_s);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->o.timeout_s);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->o.cacert)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->o.cacert);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->curl_err);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    r->body_off = 0;
    r->rewind_refused = false;
    if (r->once && r->method && strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, r);
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, r);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->req_body_len);
    } else if (r->method && strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->req_body ? r->req_body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->req_body_len);
    } else if (r->method && strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    }
    if (curl_multi_add_handle(c->multi, h) != CURLM_OK) {
        r->easy = NULL;
        return_easy(c, h);
        return -1;
    }
    c->inflight[c->ninflight++] = r;
    c->st.attempts++;
    if (r->attempts > 1)
        c->st.retries++;
    return 0;
}

static void finish(struct http_client *c, struct http_req *r, enum http_outcome oc)
{
    r->outcome = oc;
    r->elapsed_ms = time_mono_ms() - r->first_mono_ms;
    if (oc == HTTP_ANSWER)
        c->st.answers++;
    else
        c->st.failures++;
    wipe_slist(r->hdrs);
    r->hdrs = NULL;
    c->done(r, c->ctx);
}

static void describe_failure(struct http_req *r, CURLcode cc)
{
    if (r->body.too_large)
        snprintf(r->error, sizeof r->error, "response larger than the %llu-byte limit",
                 (unsigned long long)r->client->o.max_body);
    else if (cc != CURLE_OK)
        snprintf(r->error, sizeof r->error, "%s",
                 r->curl_err[0] ? r->curl_err : curl_easy_strerror(cc));
    else if (r->status >= 200 && r->status < 300)
        snprintf(r->error, sizeof r->error,
                 "HTTP %ld with a body that is not complete JSON (cut short?)", r->status);
    else
        snprintf(r->error, sizeof r->error, "HTTP %ld", r->status);
}

/* A `once` request's attempt that the server may have carried out although
 * no answer came back: the whole body left us and the connection failed, or
 * a gateway lost the backend's answer. */
static bool maybe_applied(const struct http_req *r, enum transport_class tc, long status)
{
    if (tc == TRANSPORT_OK)
        return status == 502 || status == 504;
    return r->body_off >= r->req_body_len;
}

/* The longest the remaining backoffs can take (the jitter only shortens). */
static int64_t backoff_bound_ms(const struct retry_policy *p, int from_attempt)
{
    int64_t sum = 0;
    for (int a = from_attempt; a <= p->max_retries; a++) {
        int64_t d = p->base_ms;
        for (int i = 1; i < a && d < p->cap_ms; i++)
            d *= 2;
        sum += d < p->cap_ms ? d : p->cap_ms;
    }
    return sum;
}

/* The host of a URL, and its port if it names one, into out ("" if none). */
static void url_host(const char *url, char *out, size_t n)
{
    out[0] = '\0';
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        curl_url_get(u, CURLUPART_PORT, &port, 0); /* only when the URL has one */
        snprintf(out, n, "%s%s%s", host, port ? ":" : "", port ? port : "");
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

/* Before any answer: a name that does not resolve is a typo until shown
 * otherwise (fatal, with a message saying so); another retryable failure is
 * a warning, once per kind. Returns the transport class to decide with. */
static enum transport_class before_first_answer(struct http_client *c, struct http_req *r,
                                                CURLcode cc, enum transport_class tc)
{
    if (c->reached || tc != TRANSPORT_RETRYABLE)
        return tc;
    char host[256];
    url_host(r->url, host, sizeof host);
    if (cc == CURLE_COULDNT_RESOLVE_HOST) {
        snprintf(r->curl_err, sizeof r->curl_err,
                 "the host name '%.120s' does not resolve: is it misspelt? (nothing has "
                 "answered yet, so this is not retried)",
                 host);
        return TRANSPORT_FATAL;
    }
    unsigned code = (unsigned)cc;
    int left = c->policy.max_retries - r->attempts + 1;
    if (left > 0 && code < 128 && !(c->warned[code / 64] & ((uint64_t)1 << (code % 64)))) {
        c->warned[code / 64] |= (uint64_t)1 << (code % 64);
        /* Each attempt that times out costs the timeout on top of its wait. */
        int64_t bound = backoff_bound_ms(&c->policy, r->attempts);
        if (cc == CURLE_OPERATION_TIMEDOUT)
            bound += (int64_t)left * c->o.timeout_s * 1000;
        log_warn("no answer yet from %s: %s; retrying %s %s up to %d more time(s), for at most "
                 "%.0f s more (check the URL if this goes on)",
                 host, r->curl_err[0] ? r->curl_err : curl_easy_strerror(cc),
                 r->method ? r->method : "GET", r->url, left, (double)bound / 1000.0);
    }
    return tc;
}

static void completed(struct http_client *c, struct http_req *r, CURLcode cc)
{
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(c->multi, r->easy);
    return_easy(c, r->easy);
    r->easy = NULL;
    for (int i = 0; i < c->ninflight; i++)
        if (c->inflight[i] == r) {
            c->inflight[i] = c->inflight[--c->ninflight];
            break;
        }
    r->status = status;

    enum transport_class tc = before_first_answer(c, r, cc, retry_classify_curl(cc));
    if (tc == TRANSPORT_OK)
        c->reached = true;
    if (r->body.too_large)
        tc = TRANSPORT_FATAL;
    if (r->rewind_refused) { /* the connection died under a `once` request */
        tc = TRANSPORT_RETRYABLE;
        snprintf(r->curl_err, sizeof r->curl_err,
                 "the connection closed before an answer came back");
    }
    bool json_claimed = strstr(r->content_type, "json") != NULL;
    bool body_ok = !json_claimed || http_body_is_json(&r->body);
    struct retry_decision d =
        retry_decide(&c->policy, r->attempts, tc, tc == TRANSPORT_OK ? status : 0, body_ok,
                     r->retry_after, time_wall_ms() / 1000, next_rand(c));
    if (d.verdict == RETRY_DONE) {
        finish(c, r, HTTP_ANSWER);
        return;
    }
    if (r->once && tc == TRANSPORT_OK && status >= 200 && status < 300) {
        finish(c, r, HTTP_ANSWER); /* taken; only the answer's body was cut */
        return;
    }
    describe_failure(r, cc);
    if (r->once && maybe_applied(r, tc, tc == TRANSPORT_OK ? status : 0)) {
        r->unsure = true;
        finish(c, r, HTTP_FAILED);
        return;
    }
    if (d.verdict == RETRY_FAIL) {
        finish(c, r, HTTP_FAILED);
        return;
    }
    int64_t now = time_mono_ms();
    if (d.rate_limited) {
        r->retries_429++;
        if (now + d.delay_ms > c->gate_until)
            c->gate_until = now + d.delay_ms;
    }
    log_debug("retrying %s %s in %.1f s (attempt %d of %d): %s", r->method ? r->method : "GET",
              r->url, (double)d.delay_ms / 1000.0, r->attempts + 1, c->policy.max_retries + 1,
              r->error);
    r->due_ms = now + d.delay_ms;
    r->next = c->waiting;
    c->waiting = r;
}

static void promote_due(struct http_client *c, int64_t now)
{
    struct http_req **pp = &c->waiting, *due = NULL, **due_tail = &due;
    while (*pp) {
        struct http_req *r = *pp;
        if (r->due_ms <= now) {
            *pp = r->next;
            r->next = NULL;
            *due_tail = r;
            due_tail = &r->next;
        } else {
            pp = &r->next;
        }
    }
    /* Keep their relative order at the front of the ready queue. */
    struct http_req *list[64];
    while (due) {
        int n = 0;
        while (due && n < 64) {
            list[n++] = due;
            due = due->next;
        }
        for (int i = n - 1; i >= 0; i--)
            ready_push_front(c, list[i]);
    }
}

struct http_stats http_get_stats(const struct http_client *c)
{
    struct http_stats s = c->st;
    s.in_flight = (uint64_t)c->ninflight;
    return s;
}

int http_run(struct http_client *c, volatile sig_atomic_t *stop, void (*tick)(void *ctx),
             struct err *e)
{
    int64_t last_tick = 0;
    for (;;) {
        if (stop && *stop) {
            do_cancel(c, "interrupted");
            return err_set(e, ERR_FAIL, "interrupted");
        }
        if (c->cancel) {
            c->cancel = false;
            do_cancel(c, "cancelled");
        }
        int64_t now = time_mono_ms();
        promote_due(c, now);
        while (c->ninflight < c->o.concurrency && c->ready_head && now >= c->gate_until) {
            struct http_req *r = ready_pop(c);
            if (start(c, r, now) < 0) {
                snprintf(r->error, sizeof r->error, "libcurl cannot start the request");
                r->first_mono_ms = r->first_mono_ms ? r->first_mono_ms : now;
                finish(c, r, HTTP_FAILED);
            }
        }
        if (!c->ninflight && !c->ready_head && !c->waiting)
            return 0;

        int running = 0;
        curl_multi_perform(c->multi, &running);
        CURLMsg *m;
        int left;
        bool progressed = false;
        while ((m = curl_multi_info_read(c->multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            struct http_req *r = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            completed(c, r, m->data.result);
            progressed = true;
        }
        if (tick && now - last_tick >= 100) {
            last_tick = now;
            tick(c->ctx);
        }
        if (progressed)
            continue; /* done() may have queued work: start it before sleeping */
        if (c->o.idle && c->ninflight < c->o.concurrency && !c->ready_head && !c->cancel) {
            bool more = c->o.idle(c->ctx);
            if (more || c->ready_head || c->cancel)
                continue;
        }

        long wait = 100;
        long cm = -1;
        curl_multi_timeout(c->multi, &cm);
        if (cm >= 0 && cm < wait)
            wait = cm;
        if (c->ready_head && c->ninflight < c->o.concurrency && c->gate_until > now &&
            c->gate_until - now < wait)
            wait = (long)(c->gate_until - now);
        for (struct http_req *r = c->waiting; r; r = r->next)
            if (r->due_ms - now < wait)
                wait = r->due_ms > now ? (long)(r->due_ms - now) : 0;
        if (wait > 0)
            curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL);
    }
}
