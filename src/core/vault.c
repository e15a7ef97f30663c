#include "core/vault.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ids.h"
#include "common/text.h"
#include "crypto/gcm.h"
#include "payout/jwe.h"

#define MAGIC "PV1"
#define IV_LEN 12

static void owner_aad(const pay_api_key *k, char *out, size_t cap)
{
    snprintf(out, cap, "payoutd-key;merchant=%lld;env=%d;kind=%d", (long long)k->merchant_id,
             (int)k->env, (int)k->kind);
}

bool pay_vault_is_wrapped(const uint8_t *m, size_t len)
{
    return len > PAY_VAULT_OVERHEAD && memcmp(m, MAGIC, 3) == 0;
}

bool pay_vault_wrap(const pay_vault *v, const pay_api_key *owner, const uint8_t *plain, size_t len,
                    uint8_t *out, size_t *out_len)
{
    char aad[96];
    owner_aad(owner, aad, sizeof aad);
    memcpy(out, MAGIC, 3);
    if (!pay_random_bytes(out + 3, IV_LEN)) return false;
    if (pay_gcm_encrypt(v->key, sizeof v->key, out + 3, IV_LEN, (const uint8_t *)aad, strlen(aad),
                        plain, len, out + 3 + IV_LEN, out + 3 + IV_LEN + len) != PAY_OK)
        return false;
    *out_len = len + PAY_VAULT_OVERHEAD;
    return true;
}

bool pay_vault_unwrap(const pay_vault *v, const pay_api_key *owner, const uint8_t *w, size_t len,
                      uint8_t *out, size_t *out_len)
{
    if (!pay_vault_is_wrapped(w, len)) return false;
    char aad[96];
    owner_aad(owner, aad, sizeof aad);
    size_t n = len - PAY_VAULT_OVERHEAD;
    if (pay_gcm_decrypt(v->key, sizeof v->key, w + 3, IV_LEN, (const uint8_t *)aad, strlen(aad),
                        w + 3 + IV_LEN, n, w + 3 + IV_LEN + n, PAY_GCM_TAG_LEN, out) != PAY_OK)
        return false;
    *out_len = n;
    return true;
}

static bool parse_key(pay_vault *v, const char *text, size_t n, const char *origin, char *err,
                      size_t errlen)
{
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r')) n--; /* a file's last newline */
    pay_key k;
    pay_error e;
    if (pay_key_from_hex(&k, text, n, &e) != PAY_OK) {
        snprintf(err, errlen, "master key from %s: %s", origin, e.message);
        return false;
    }
    memcpy(v->key, k.bytes, sizeof v->key);
    pay_key_wipe(&k);
    pay_strlcpy(v->origin, origin, sizeof v->origin);
    return true;
}

static bool generate(pay_vault *v, const char *path, char *err, size_t errlen)
{
    uint8_t raw[32];
    char hex[65];
    if (!pay_random_bytes(raw, sizeof raw)) {
        snprintf(err, errlen, "cannot draw a master key from the random generator");
        return false;
    }
    pay_hex_encode(raw, sizeof raw, hex);
    /* O_EXCL: never overwrite a key some other process just wrote. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    bool ok = fd >= 0 && write(fd, hex, 64) == 64 && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0) ok = false;
    if (!ok) snprintf(err, errlen, "cannot write a new master key to %s: %s", path, strerror(errno));
    if (ok) {
        memcpy(v->key, raw, sizeof v->key);
        pay_strlcpy(v->origin, path, sizeof v->origin);
    }
    OPENSSL_cleanse(raw, sizeof raw);
    OPENSSL_cleanse(hex, sizeof hex);
    return ok;
}

bool pay_vault_load(pay_vault *v, const char *db_path, const char *key_file, bool may_generate,
                    bool *generated, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    *generated = false;
    const char *env = getenv("PAYOUTD_MASTER_KEY");
    if (env && env[0]) return parse_key(v, env, strlen(env), "PAYOUTD_MASTER_KEY", err, errlen);
    char path[PAY_VAULT_PATH_MAX];
    if (key_file)
        pay_strlcpy(path, key_file, sizeof path);
    else
        snprintf(path, sizeof path, "%s.master-key", db_path);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno != ENOENT || !may_generate) {
            snprintf(err, errlen, "cannot read the master key %s: %s", path, strerror(errno));
            return false;
        }
        if (!generate(v, path, err, errlen)) return false;
        *generated = true;
        return true;
    }
    char text[160];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    bool ok = parse_key(v, text, n, path, err, errlen);
    OPENSSL_cleanse(text, sizeof text);
    return ok;
}

void pay_vault_wipe(pay_vault *v)
{
    if (v) OPENSSL_cleanse(v->key, sizeof v->key);
}
