/*
 * Shared bits of the libFuzzer targets (fuzz/fuzz_*.c, one per parser;
 * docs/FUZZING.md). Everything here is static inline so each target stays a
 * single translation unit.
 *
 * Rules every target keeps: deterministic (fixed keys, IVs, clocks), no
 * leaks, memory bounded by the input cap that scripts/fuzz passes as
 * -max_len, and an invariant violation ends the run through FUZZ_CHECK
 * (abort), which libFuzzer reports as a crash with the input saved.
 */
#ifndef PAY_FUZZ_H
#define PAY_FUZZ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A NUL-terminated copy of the input, cut at its first NUL the way a C
 * string header value would be. Never NULL (aborts when out of memory). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL);
    if (size) memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* The server's JSON body parse (http/gate.c pay_gate_body): the cheap depth
 * scan first, then jansson with duplicate keys rejected; like the gate,
 * only an object or an array comes back. NULL otherwise. */
static inline json_t *fuzz_load_body(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    if (pay_json_depth((const char *)data, size) > PAY_JSON_DEPTH_MAX) return NULL;
    json_t *body =
        json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (body && !json_is_object(body) && !json_is_array(body)) {
        json_decref(body);
        body = NULL;
    }
    return body;
}

/* Real nesting depth of a parsed value (containers only). */
static inline int fuzz_json_tree_depth(const json_t *v)
{
    int max = 0;
    if (json_is_object(v)) {
        const char *key;
        json_t *m;
        json_object_foreach((json_t *)v, key, m)
        {
            int d = fuzz_json_tree_depth(m);
            if (d > max) max = d;
        }
        return max + 1;
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            int d = fuzz_json_tree_depth(json_array_get(v, i));
            if (d > max) max = d;
        }
        return max + 1;
    }
    return 0;
}

/* The depth guard may over-count (a stray ']' outside any string) but must
 * never under-count what jansson actually built, or deep nesting would slip
 * past PAY_JSON_DEPTH_MAX into the parser's recursion. */
static inline void fuzz_check_depth_guard(const uint8_t *data, size_t size, const json_t *body)
{
    FUZZ_CHECK(fuzz_json_tree_depth(body) <= pay_json_depth((const char *)data, size));
}

/* Characters of a UTF-8 string (code points, as validate.c counts). */
static inline size_t fuzz_utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80) n++;
    return n;
}

static inline bool fuzz_printable_ascii(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) return false;
    return true;
}

#endif
