/*
 * One-line logging to stderr. Each call is one write(2), so lines from
 * concurrent threads never interleave. Never pass keys or decrypted bodies.
 */
#ifndef PAY_LOG_H
#define PAY_LOG_H

typedef enum pay_log_level {
    PAY_LOG_DEBUG = 0,
    PAY_LOG_INFO = 1,
    PAY_LOG_WARN = 2,
    PAY_LOG_ERROR = 3,
} pay_log_level;

void pay_log_set_level(pay_log_level level);
pay_log_level pay_log_get_level(void);
/* "debug" | "info" | "warn" | "error"; false when unknown. */
int pay_log_level_parse(const char *name, pay_log_level *out);
void pay_log(pay_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pay_log_debug(...) pay_log(PAY_LOG_DEBUG, __VA_ARGS__)
#define pay_log_info(...) pay_log(PAY_LOG_INFO, __VA_ARGS__)
#define pay_log_warn(...) pay_log(PAY_LOG_WARN, __VA_ARGS__)
#define pay_log_error(...) pay_log(PAY_LOG_ERROR, __VA_ARGS__)

#endif
