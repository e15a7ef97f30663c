#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pay_buf_init(pay_buf *b)
{
    memset(b, 0, sizeof *b);
}

void pay_buf_free(pay_buf *b)
{
    if (!b) return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

void pay_buf_reset(pay_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

bool pay_buf_reserve(pay_buf *b, size_t extra)
{
    if (b->oom) return false;
    if (b->len + extra + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    /* keep "NUL-terminated past len" true from the first allocation on, so
     * pay_buf_steal of a buffer that was never written returns "" */
    p[b->len] = 0;
    b->data = p;
    b->cap = cap;
    return true;
}

bool pay_buf_append(pay_buf *b, const void *data, size_t n)
{
    if (!pay_buf_reserve(b, n)) return false;
    if (n) memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = 0;
    return true;
}

bool pay_buf_puts(pay_buf *b, const char *s)
{
    return pay_buf_append(b, s, strlen(s));
}

bool pay_buf_printf(pay_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return false;
    if ((size_t)n < sizeof small) return pay_buf_append(b, small, (size_t)n);
    if (!pay_buf_reserve(b, (size_t)n)) return false;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

char *pay_buf_steal(pay_buf *b, size_t *len)
{
    if (b->oom) {
        pay_buf_free(b);
        return NULL;
    }
    if (!b->data && !pay_buf_reserve(b, 0)) return NULL;
    char *d = b->data;
    if (len) *len = b->len;
    memset(b, 0, sizeof *b);
    return d;
}
