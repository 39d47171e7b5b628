/* alloc.c — see alloc.h. */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"

void oom_die(size_t n)
{
    /* No stdio, no allocation: a fixed buffer, one write(2). */
    char msg[160], num[24];
    size_t k = 0, d = 0;
    const char *who = log_program();
    do
        num[d++] = (char)('0' + n % 10);
    while ((n /= 10) && d < sizeof num);
    const char *parts[] = {who && *who ? who : "j1-npm", ": out of memory (", NULL, " bytes)\n"};
    for (size_t i = 0; i < 4; i++) {
        if (i == 2) {
            while (d && k < sizeof msg)
                msg[k++] = num[--d];
            continue;
        }
        for (const char *s = parts[i]; *s && k < sizeof msg; s++)
            msg[k++] = *s;
    }
    ssize_t w = write(STDERR_FILENO, msg, k);
    (void)w;
    _exit(EXIT_FAILURE_);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom_die(n);
    return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        oom_die(0);
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        oom_die(nmemb * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom_die(n);
    return q;
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        oom_die(0);
    return xrealloc(p, nmemb * size);
}

char *xstrdup(const char *s)
{
    return xmemdup0(s, strlen(s));
}

char *xmemdup0(const void *s, size_t n)
{
    if (n == SIZE_MAX)
        oom_die(0);
    char *p = xmalloc(n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *grow_array(void *p, size_t elem, size_t need, size_t *cap)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 4;
    while (c < need) {
        if (c > SIZE_MAX / 2) {
            c = need;
            break;
        }
        c *= 2;
    }
    p = xreallocarray(p, c, elem);
    *cap = c;
    return p;
}
