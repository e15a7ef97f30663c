/*
 * A deliberately tiny unit-test harness: CHECK records a failure and goes on,
 * REQUIRE stops the current test. Each test file is its own executable and
 * CTest test; main() comes from PAY_TEST_MAIN listing the test functions.
 */
#ifndef PAY_TEST_HARNESS_H
#define PAY_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern int pay_test_failures;
extern const char *pay_test_current;

void pay_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int pay_test_run(const char *name, void (*fn)(void));
/* Path under ../shared (PAY_SHARED_DIR) or the source tree (PAY_SOURCE_DIR). */
const char *pay_test_shared_path(const char *rel);
const char *pay_test_source_path(const char *rel);
/* Reads a whole file; NULL on error. Caller frees. */
char *pay_test_read_file(const char *path, size_t *len);
/* Decodes hex into a malloc'd buffer; NULL on bad hex. */
uint8_t *pay_test_unhex(const char *hex, size_t *len);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) pay_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                        \
    } while (0)
#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) pay_test_fail(__FILE__, __LINE__, __VA_ARGS__);                               \
    } while (0)
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            pay_test_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);                               \
            return;                                                                                \
        }                                                                                          \
    } while (0)
#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) pay_test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, b_);  \
    } while (0)
#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                     \
            pay_test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a,                 \
                          a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                 \
    } while (0)
#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || !strstr(h_, n_))                                                                \
            pay_test_fail(__FILE__, __LINE__, "%s = \"%s\" lacks \"%s\"", #hay, h_ ? h_ : "(null)", \
                          n_);                                                                     \
    } while (0)

#define PAY_TEST(fn) pay_test_run(#fn, fn)
#define PAY_TEST_MAIN(...)                                                                         \
    int main(void)                                                                                 \
    {                                                                                              \
        __VA_ARGS__;                                                                               \
        if (pay_test_failures) fprintf(stderr, "%d check(s) failed\n", pay_test_failures);         \
        return pay_test_failures ? 1 : 0;                                                          \
    }

#endif
