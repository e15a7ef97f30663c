/*
 * bench/jwe/bench_common.h — shared plumbing of the JWE seal+open benchmarks
 * (bench_jwe_payout.c, bench_jwe_evp.c, bench_jwe_cjose.c): options, pinning
 * to one core, the payload, the timed loop and the result line that
 * bench/jwe/run parses. Header-only (static functions) so each benchmark is
 * one translation unit.
 *
 * Every program takes the same options:
 *   -t SECONDS      measure for this long (default 3)
 *   -w SECONDS      warm up for this long first (default 0.5)
 *   -c CPU          pin to this CPU with sched_setaffinity (default 0;
 *                   -1 = do not pin)
 *   -p FILE         the payload (default bench/jwe/payload.json, then
 *                   payload.json in the current directory)
 *   --seal FILE     cross-check: seal the payload once, write the token
 *   --open FILE     cross-check: open the token in FILE, compare with the
 *                   payload; exit 0 if it opens and matches
 * and prints one line
 *   RESULT impl=NAME ops=N wall_s=S cpu_s=S ops_per_s=X ns_per_op=X
 *          ops_per_cpu_s=X cpu=N token_len=N
 * (one op = seal + open of the payload, plaintext compared).
 */
#ifndef BENCH_JWE_COMMON_H
#define BENCH_JWE_COMMON_H

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The one content-encryption key of every implementation (A256GCM). The
 * node benchmark has the same bytes. */
static const uint8_t bench_key[32] = {
    0x6b, 0x3e, 0x91, 0x0c, 0x55, 0xa2, 0x7f, 0x18, 0xd4, 0x29, 0xe6, 0x80, 0x3b, 0xc7, 0x12, 0x5d,
    0x9a, 0x04, 0xf1, 0x6e, 0x28, 0xb5, 0x73, 0xcc, 0x47, 0x8e, 0x19, 0xa0, 0xd2, 0x66, 0x3f, 0xe8,
};

typedef struct bench_opts {
    double seconds;
    double warmup;
    int cpu;
    const char *payload_path;
    const char *seal_path;
    const char *open_path;
} bench_opts;

static void bench_usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [-t SECONDS] [-w SECONDS] [-c CPU] [-p PAYLOAD] [--seal FILE | --open FILE]"
            "%s\n",
            prog, strstr(prog, "evp") ? " [--fresh-ctx | --rekey-ctx]" : "");
    exit(2);
}

/* Parses the common options; argv entries it does not know are left for
 * the caller through *extra (at most 4), else usage. */
static void bench_parse(int argc, char **argv, bench_opts *o, const char **extra, int *n_extra)
{
    o->seconds = 3.0;
    o->warmup = 0.5;
    o->cpu = 0;
    o->payload_path = NULL;
    o->seal_path = NULL;
    o->open_path = NULL;
    if (n_extra) *n_extra = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-t") && v) {
            o->seconds = atof(v);
            i++;
        } else if (!strcmp(a, "-w") && v) {
            o->warmup = atof(v);
            i++;
        } else if (!strcmp(a, "-c") && v) {
            o->cpu = (int)strtol(v, NULL, 10);
            i++;
        } else if (!strcmp(a, "-p") && v) {
            o->payload_path = v;
            i++;
        } else if (!strcmp(a, "--seal") && v) {
            o->seal_path = v;
            i++;
        } else if (!strcmp(a, "--open") && v) {
            o->open_path = v;
            i++;
        } else if (extra && n_extra && *n_extra < 4 && a[0] == '-' && a[1] == '-') {
            extra[(*n_extra)++] = a;
        } else {
            bench_usage(argv[0]);
        }
    }
    if (o->seconds <= 0) bench_usage(argv[0]);
}

static void bench_pin(int cpu)
{
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        fprintf(stderr, "sched_setaffinity(cpu %d): %s\n", cpu, strerror(errno));
        exit(1);
    }
}

/* Reads a whole file; NUL-terminated one past *len. */
static uint8_t *bench_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (!b) break;
        if (n + 1 >= cap) {
            uint8_t *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
        }
        size_t r = fread(b + n, 1, cap - 1 - n, f);
        n += r;
        if (r == 0) break;
    }
    fclose(f);
    if (b) {
        b[n] = 0;
        *len = n;
    }
    return b;
}

static uint8_t *bench_payload(const bench_opts *o, size_t *len)
{
    const char *paths[] = {o->payload_path, "bench/jwe/payload.json", "payload.json"};
    for (size_t i = 0; i < 3; i++) {
        if (!paths[i]) continue;
        uint8_t *b = bench_read_file(paths[i], len);
        if (b) return b;
        if (i == 0) break; /* an explicit path that fails is an error */
    }
    fprintf(stderr, "cannot read the payload (use -p bench/jwe/payload.json)\n");
    exit(1);
}

static bool bench_write_file(const char *path, const char *s, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(s, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static double bench_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One seal + open of the payload; returns false on any failure (the
 * benchmark then stops with an error: a fast wrong answer is no result). */
typedef bool (*bench_op_fn)(void *state);

/* Runs op for o->warmup then o->seconds of wall time and prints RESULT. */
static int bench_run(const char *impl, const bench_opts *o, bench_op_fn op, void *state,
                     size_t token_len)
{
    double end = bench_clock(CLOCK_MONOTONIC) + o->warmup;
    while (bench_clock(CLOCK_MONOTONIC) < end)
        for (int k = 0; k < 16; k++)
            if (!op(state)) goto fail;

    uint64_t ops = 0;
    double w0 = bench_clock(CLOCK_MONOTONIC), c0 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
    double w1, stop = w0 + o->seconds;
    do {
        for (int k = 0; k < 16; k++)
            if (!op(state)) goto fail;
        ops += 16;
        w1 = bench_clock(CLOCK_MONOTONIC);
    } while (w1 < stop);
    double c1 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
    double wall = w1 - w0, cpu = c1 - c0;
    printf("RESULT impl=%s ops=%llu wall_s=%.3f cpu_s=%.3f ops_per_s=%.0f ns_per_op=%.0f "
           "ops_per_cpu_s=%.0f cpu=%d token_len=%zu\n",
           impl, (unsigned long long)ops, wall, cpu, (double)ops / wall, wall * 1e9 / (double)ops,
           (double)ops / cpu, o->cpu, token_len);
    return 0;
fail:
    fprintf(stderr, "%s: seal/open failed inside the loop\n", impl);
    return 1;
}

#endif
