/*
 * Sandbox magic values (docs/sandbox.md): values integrators already send
 * that, in TEST mode only, reproduce outcomes a real bank or registry would
 * produce. Live mode never consults this module's answers.
 */
#ifndef PAY_SANDBOX_H
#define PAY_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/apierr.h"
#include "core/model.h"

/* Business-time durations of the simulated bank step. */
#define PAY_BANK_STEP_US (INT64_C(5) * 60 * 1000000)       /* 5 minutes */
#define PAY_BANK_STEP_SLOW_US (INT64_C(3) * 3600 * 1000000) /* 3 hours */

/* Seller verification at registration or account change: false with the
 * fault a real check would give when a magic account number or business
 * registration number is used. */
bool pay_sandbox_check_seller(const pay_seller *s, pay_fault *f);

/* The bank step's outcome for a payout to dest: false with the failure's
 * code and message when the sandbox says it fails. */
bool pay_sandbox_bank_outcome(const pay_payout *p, const pay_seller *dest, char code[64],
                              char message[512]);

/* How long the bank step takes for this payout. */
int64_t pay_sandbox_bank_step_us(const pay_payout *p);

#endif
