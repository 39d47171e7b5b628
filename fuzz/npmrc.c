/*
 * npmrc.c — npm's user config (common/npmrc.c) over any bytes.
 *
 * The input's first line is the registry URL (a default one when it does
 * not parse), the rest the .npmrc text. Whatever the text: a token found is
 * non-empty, one line (no CR, LF or NUL: it goes into an HTTP header) and
 * terminated; a refusal says why; and no message ever carries the value of
 * the environment variable a line names (FUZZ_NPM_TOKEN below), unless the
 * input itself spells that value. ${VAR} expansion of every line is
 * exercised on its own too.
 */
#include <string.h>

#include "fuzz.h"
#include "log.h"
#include "npmrc.h"
#include "secret.h"
#include "url.h"

#define SECRET_VALUE "npm_FuzzSecretValue0123456789"

static bool contains(const char *h, size_t hn, const char *needle)
{
    size_t nn = strlen(needle);
    for (size_t i = 0; nn && i + nn <= hn; i++)
        if (memcmp(h + i, needle, nn) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    static int once;
    if (!once) {
        once = 1;
        setenv("FUZZ_NPM_TOKEN", SECRET_VALUE, 1);
        setenv("FUZZ_EMPTY", "", 1);
        setenv("FUZZ_MULTI", "a\nb", 1);
    }
    const char *p = (const char *)data, *end = p + size;
    const char *nl = memchr(p, '\n', size);
    size_t ul = nl ? (size_t)(nl - p) : size;
    char reg[1200];
    struct url u;
    struct err e = {0};
    bool ok = false;
    if (ul < sizeof reg && !memchr(p, '\0', ul)) {
        memcpy(reg, p, ul);
        reg[ul] = '\0';
        ok = url_parse(reg, &u, &e) == 0;
    }
    if (!ok)
        FUZZ_CHECK(url_parse("https://registry.npmjs.org/", &u, &e) == 0);
    const char *text = nl ? nl + 1 : end;
    size_t n = (size_t)(end - text);

    struct secret tok;
    memset(&tok, 0, sizeof tok);
    memset(&e, 0, sizeof e);
    int rc = npmrc_find_token(text, n, &u, "fuzz.npmrc", &tok, &e);
    FUZZ_CHECK(rc >= -1 && rc <= 1);
    bool spelled = contains(p, size, SECRET_VALUE);
    if (rc == 1) {
        FUZZ_CHECK(tok.value != NULL && tok.len > 0 && strlen(tok.value) == tok.len);
        FUZZ_CHECK(!strpbrk(tok.value, "\r\n"));
    } else if (rc < 0) {
        FUZZ_CHECK(e.msg[0] != '\0');
        if (!spelled)
            FUZZ_CHECK(!contains(e.msg, strlen(e.msg), SECRET_VALUE));
    }
    secret_free(&tok);
    log_clear_redactions();

    /* Expansion of each line alone. */
    for (const char *line = text; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        size_t ll = eol ? (size_t)(eol - line) : (size_t)(end - line);
        struct buf out = BUF_INIT;
        char missing[16] = "";
        FUZZ_CHECK(npmrc_expand(line, ll, &out, missing, sizeof missing) == 0);
        FUZZ_CHECK(memchr(missing, '\0', sizeof missing) != NULL);
        FUZZ_CHECK(out.p[out.len] == '\0');
        buf_free(&out);
        line = eol ? eol + 1 : end;
    }
    return 0;
}
