/*
 * The one clock. All business time (payout dates, EXPRESS hours, iat
 * windows, settlement) comes from pay_clock_now. In test mode each merchant
 * has its own clock, real time shifted by an offset an operator can set or
 * advance, so tests and integrators move time instead of sleeping; live mode
 * always reads the real clock. The base source is replaceable for unit tests.
 * Thread-safe: the clock is immutable after creation.
 */
#ifndef PAY_CLOCK_H
#define PAY_CLOCK_H

#include <stdint.h>

#include "core/model.h"

typedef struct pay_clock {
    int64_t (*real_now_us)(void *arg); /* Unix microseconds */
    void *arg;
} pay_clock;

/* The system clock (CLOCK_REALTIME). */
extern const pay_clock pay_clock_system;

/* Real time, for things outside any merchant (logs, response iat). */
int64_t pay_clock_real(const pay_clock *clock);

/* Business time of a merchant in an environment. */
int64_t pay_clock_now(const pay_clock *clock, const pay_merchant *merchant, pay_env env);

#endif
