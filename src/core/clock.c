#include "core/clock.h"

#include "common/timeutil.h"

static int64_t system_now(void *arg)
{
    (void)arg;
    return pay_real_now_us();
}

const pay_clock pay_clock_system = {system_now, NULL};

int64_t pay_clock_real(const pay_clock *clock)
{
    return clock->real_now_us(clock->arg);
}

int64_t pay_clock_now(const pay_clock *clock, const pay_merchant *merchant, pay_env env)
{
    int64_t now = clock->real_now_us(clock->arg);
    if (env == PAY_ENV_TEST && merchant) now += merchant->test_clock_offset_us;
    return now;
}
