/*
 * pay_buf: a growable byte buffer, always NUL-terminated past len.
 * Ownership: the struct is caller-embedded (pay_buf_init / pay_buf_free);
 * pay_buf_steal hands the malloc'd data to the caller.
 * Not thread-safe; one owner at a time.
 */
#ifndef PAY_BUF_H
#define PAY_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pay_buf {
    char *data;
    size_t len;
    size_t cap;
    bool oom; /* sticky: set once an allocation failed; appends become no-ops */
} pay_buf;

void pay_buf_init(pay_buf *b);
void pay_buf_free(pay_buf *b);
void pay_buf_reset(pay_buf *b);
bool pay_buf_reserve(pay_buf *b, size_t extra);
bool pay_buf_append(pay_buf *b, const void *data, size_t n);
bool pay_buf_puts(pay_buf *b, const char *s);
bool pay_buf_printf(pay_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the data (caller frees) and leaves b empty. */
char *pay_buf_steal(pay_buf *b, size_t *len);

#endif
