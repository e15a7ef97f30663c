/*
 * The vault: security keys must be usable in clear (to open requests and
 * sign webhooks), so the database holds them encrypted under a master key
 * that lives outside it (a 32-byte key as 64 hex characters, in a file or
 * PAYOUTD_MASTER_KEY). A stolen database file alone reveals no security key.
 * Wrapped form: "PV1" || IV(12) || AES-256-GCM ciphertext || tag(16), with
 * the owning row's identity as AAD so a wrapped key cannot be moved to
 * another merchant, environment or kind.
 * Thread-safety: immutable after load.
 */
#ifndef PAY_VAULT_H
#define PAY_VAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

#define PAY_VAULT_OVERHEAD (3 + 12 + 16)
#define PAY_VAULT_PATH_MAX 4096

typedef struct pay_vault {
    uint8_t key[32];
    char origin[PAY_VAULT_PATH_MAX]; /* "PAYOUTD_MASTER_KEY" or the file path */
} pay_vault;

/* Loads the master key: PAYOUTD_MASTER_KEY, else key_file, else
 * "<db>.master-key". When none exists and may_generate, a new key is written
 * to the file (mode 0600) and *generated is set. */
bool pay_vault_load(pay_vault *v, const char *db_path, const char *key_file, bool may_generate,
                    bool *generated, char *err, size_t errlen);

void pay_vault_wipe(pay_vault *v);

/* Wraps key material for a key row; out must hold len + PAY_VAULT_OVERHEAD. */
bool pay_vault_wrap(const pay_vault *v, const pay_api_key *owner, const uint8_t *plain, size_t len,
                    uint8_t *out, size_t *out_len);

/* Unwraps; false when the material was not wrapped by this master key for
 * this row. out must hold len - PAY_VAULT_OVERHEAD bytes. */
bool pay_vault_unwrap(const pay_vault *v, const pay_api_key *owner, const uint8_t *wrapped,
                      size_t len, uint8_t *out, size_t *out_len);

/* True when material is in the wrapped form. */
bool pay_vault_is_wrapped(const uint8_t *material, size_t len);

#endif
