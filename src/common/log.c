#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/timeutil.h"

static volatile int current_level = PAY_LOG_INFO;
static const char *names[] = {"debug", "info", "warn", "error"};

void pay_log_set_level(pay_log_level level)
{
    current_level = (int)level;
}

pay_log_level pay_log_get_level(void)
{
    return (pay_log_level)current_level;
}

int pay_log_level_parse(const char *name, pay_log_level *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (pay_log_level)i;
            return 1;
        }
    return 0;
}

void pay_log(pay_log_level level, const char *fmt, ...)
{
    if ((int)level < current_level) return;
    char line[2048], ts[PAY_ISO_BUF];
    pay_format_utc_ms(pay_real_now_us(), ts);
    int n = snprintf(line, sizeof line, "%s %-5s ", ts, names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2) len = sizeof line - 2;
    /* Control characters would let input forge log lines. */
    for (size_t i = (size_t)n; i < len; i++)
        if ((unsigned char)line[i] < 0x20) line[i] = '?';
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
