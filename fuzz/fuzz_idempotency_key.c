/*
 * Fuzz target: the Idempotency-Key header (spec §7), checked by
 * pay_idem_key_check (src/core/idempotency.h); the input is the header
 * value as a C string. An accepted key then goes through
 * pay_idem_scope_hash as http/idem.c does.
 *
 * Invariants: accepted keys are 1-300 characters (UTF-8 code points, or
 * bytes when not UTF-8) without C0 controls or DEL; a refusal is
 * INVALID_IDEMPOTENCY_KEY; the scope hash is deterministic and depends on
 * the key.
 */
#include "fuzz.h"

#include "common/text.h"
#include "core/idempotency.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *key = fuzz_cstr(data, size);
    size_t n = strlen(key);
    pay_fault f;
    memset(&f, 0, sizeof f);
    bool ok = pay_idem_key_check(key, &f);
    bool has_control = false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f) has_control = true;
    size_t chars = pay_utf8_valid(key, n, NULL) ? fuzz_utf8_chars(key) : n;
    bool want = n > 0 && chars <= PAY_IDEMPOTENCY_KEY_MAX && !has_control;
    FUZZ_CHECK(ok == want);
    if (!ok) {
        FUZZ_CHECK(f.code == PAY_E_INVALID_IDEMPOTENCY_KEY);
    } else {
        uint8_t h1[32], h2[32], h3[32];
        pay_idem_scope_hash(42, "POST", "/v2/payouts", key, h1);
        pay_idem_scope_hash(42, "POST", "/v2/payouts", key, h2);
        FUZZ_CHECK(memcmp(h1, h2, 32) == 0);
        /* the key is part of the scope: dropping its last byte changes it */
        key[n - 1] = 0;
        pay_idem_scope_hash(42, "POST", "/v2/payouts", key, h3);
        FUZZ_CHECK(memcmp(h1, h3, 32) != 0);
    }
    free(key);
    return 0;
}
