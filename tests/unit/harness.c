#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>

int pay_test_failures;
const char *pay_test_current = "";

void pay_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL %s (%s:%d): ", pay_test_current, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    pay_test_failures++;
}

int pay_test_run(const char *name, void (*fn)(void))
{
    int before = pay_test_failures;
    pay_test_current = name;
    fn();
    fprintf(stderr, "%s %s\n", pay_test_failures == before ? "ok  " : "FAIL", name);
    return pay_test_failures == before;
}

static const char *join(const char *env, const char *fallback, const char *rel)
{
    static char buf[4][4096];
    static int slot;
    const char *base = getenv(env);
    char *out = buf[slot++ & 3];
    snprintf(out, sizeof buf[0], "%s/%s", base ? base : fallback, rel);
    return out;
}

const char *pay_test_shared_path(const char *rel)
{
    return join("PAY_SHARED_DIR", "../shared", rel);
}

const char *pay_test_source_path(const char *rel)
{
    return join("PAY_SOURCE_DIR", ".", rel);
}

char *pay_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap * 2 + 1);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

static int nib(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

uint8_t *pay_test_unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2) return NULL;
    uint8_t *out = malloc(n / 2 + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return out;
}
