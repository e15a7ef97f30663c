#include "payout/diagnose.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "common/text.h"
#include "crypto/gcm.h"

typedef struct attempt {
    const pay_jwe *jwe;
    uint8_t *scratch; /* plaintext of a try; wiped, never shown */
} attempt;

/* True when the tag verifies for this key and AAD. */
static bool opens(attempt *t, const uint8_t *key, size_t key_len, const uint8_t *aad,
                  size_t aad_len)
{
    if (!pay_gcm_key_len_ok(key_len)) return false;
    size_t n = pay_jwe_get_ciphertext_len(t->jwe);
    pay_err rc = pay_gcm_decrypt(key, key_len, pay_jwe_get_iv(t->jwe), PAY_JWE_IV_LEN, aad, aad_len,
                                 pay_jwe_get_ciphertext(t->jwe), n, pay_jwe_get_tag(t->jwe),
                                 PAY_JWE_TAG_LEN, t->scratch);
    if (n) OPENSSL_cleanse(t->scratch, n);
    return rc == PAY_OK;
}

static bool opens_with_header(attempt *t, const uint8_t *key, size_t key_len)
{
    size_t seg_len = 0;
    const char *seg = pay_jwe_get_header_segment(t->jwe, &seg_len);
    return opens(t, key, key_len, (const uint8_t *)seg, seg_len);
}

static pay_diag_cause say(pay_diag_cause c, char *out, size_t cap, const char *text)
{
    snprintf(out, cap, "%s", text);
    return c;
}

/* Other serializations a producer may have authenticated instead of the
 * bytes it sent: canonical member order, sorted members, and Python's
 * default ", " / ": " separators, each base64url-encoded. */
static pay_diag_cause try_reserialized(attempt *t, const pay_key *key, char *out, size_t cap)
{
    size_t json_len = 0, seg_len = 0;
    const char *json = pay_jwe_get_header_json(t->jwe, &json_len);
    const char *seg = pay_jwe_get_header_segment(t->jwe, &seg_len);
    json_t *h = json_loadb(json, json_len, 0, NULL);
    if (!h) return PAY_DIAG_UNEXPLAINED;
    json_t *canonical = json_object();
    static const char *const order[] = {"alg", "enc", "iat", "nonce"};
    for (int i = 0; i < 4; i++)
        if (json_object_get(h, order[i]))
            json_object_set(canonical, order[i], json_object_get(h, order[i]));
    const char *k;
    json_t *v;
    json_object_foreach(h, k, v) if (!json_object_get(canonical, k)) json_object_set(canonical, k, v);
    struct {
        json_t *obj;
        size_t flags;
    } forms[] = {{canonical, JSON_COMPACT}, {h, JSON_COMPACT | JSON_SORT_KEYS},
                 {h, 0},                   {h, JSON_SORT_KEYS},
                 {canonical, 0}};
    pay_diag_cause found = PAY_DIAG_UNEXPLAINED;
    for (size_t i = 0; i < sizeof forms / sizeof forms[0] && !found; i++) {
        char *text = json_dumps(forms[i].obj, forms[i].flags);
        if (!text) continue;
        size_t n = strlen(text);
        char *b64 = malloc(pay_b64url_encoded_len(n) + 1);
        if (b64) {
            size_t bl = pay_b64url_encode((const uint8_t *)text, n, b64);
            bool differs = bl != seg_len || memcmp(b64, seg, bl) != 0;
            if (differs && opens(t, key->bytes, key->len, (const uint8_t *)b64, bl))
                found = PAY_DIAG_AAD_RESERIALIZED;
            if (found)
                snprintf(out, cap,
                         "the tag verifies when the AAD is a re-serialization of the header "
                         "(%s), not the header segment that was sent: serialize the header once "
                         "and use those exact base64url bytes both as segment 1 and as the AAD",
                         text);
            free(b64);
        }
        free(text);
    }
    json_decref(canonical);
    json_decref(h);
    return found;
}

/* Wrong ways of turning the 64-hex-character key string into AES key bytes. */
static pay_diag_cause try_key_derivations(attempt *t, const pay_key *key, char *out, size_t cap)
{
    char hex[2][PAY_KEY_HEX_LEN + 1];
    pay_hex_encode(key->bytes, key->len, hex[0]);
    memcpy(hex[1], hex[0], sizeof hex[1]);
    for (char *p = hex[1]; *p; p++)
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 32);
    size_t hl = strlen(hex[0]);
    pay_diag_cause found = PAY_DIAG_UNEXPLAINED;
    for (int c = 0; c < 2 && !found; c++) {
        uint8_t sha[32];
        unsigned int sl = sizeof sha;
        if (hl >= 32 && opens_with_header(t, (const uint8_t *)hex[c], 32))
            found = say(PAY_DIAG_KEY_ASCII, out, cap,
                        "the tag verifies only if the key is the first 32 ASCII characters of "
                        "the key string: the security key must be hex-decoded into 32 bytes, not "
                        "used as text (e.g. Hex.decode / bytes.fromhex, not getBytes)");
        else if (hl >= 16 && opens_with_header(t, (const uint8_t *)hex[c], 16))
            found = say(PAY_DIAG_KEY_ASCII, out, cap,
                        "the tag verifies only if the key is the first 16 ASCII characters of "
                        "the key string (AES-128): hex-decode the whole 64-character security key "
                        "into 32 bytes and use A256GCM");
        else if (EVP_Digest(hex[c], hl, sha, &sl, EVP_sha256(), NULL) &&
                 opens_with_header(t, sha, sizeof sha))
            found = say(PAY_DIAG_KEY_SHA256, out, cap,
                        "the tag verifies only if the key is the SHA-256 of the key string: the "
                        "security key must be hex-decoded into 32 bytes, not hashed");
        OPENSSL_cleanse(sha, sizeof sha);
    }
    if (!found) {
        uint8_t b64[64];
        size_t bl = 0, where = 0;
        if (pay_b64std_decode(hex[0], hl, b64, &bl, &where) == PAY_B64_OK && bl >= 32 &&
            opens_with_header(t, b64, 32))
            found = say(PAY_DIAG_KEY_BASE64, out, cap,
                        "the tag verifies only if the key is the key string base64-decoded (and "
                        "cut to 32 bytes): the security key is hex, so hex-decode it into 32 "
                        "bytes");
        OPENSSL_cleanse(b64, sizeof b64);
    }
    OPENSSL_cleanse(hex, sizeof hex);
    return found;
}

pay_diag_cause pay_jwe_diagnose(const pay_jwe *jwe, const pay_key *key,
                                const pay_diag_candidate *candidates, size_t ncandidates,
                                char *out, size_t cap)
{
    if (cap) out[0] = 0;
    if (!jwe || !key) return PAY_DIAG_UNEXPLAINED;
    size_t n = pay_jwe_get_ciphertext_len(jwe);
    attempt t = {jwe, malloc(n ? n : 1)};
    if (!t.scratch) return say(PAY_DIAG_UNEXPLAINED, out, cap, "out of memory while diagnosing");
    pay_diag_cause c = PAY_DIAG_UNEXPLAINED;
    size_t json_len = 0;
    const char *json = pay_jwe_get_header_json(jwe, &json_len);
    pay_jwe_enc enc = pay_jwe_get_enc(jwe);

    if (opens_with_header(&t, key->bytes, key->len)) {
        c = say(PAY_DIAG_OPENS, out, cap, "the token opens with this key");
    } else if (opens(&t, key->bytes, key->len, NULL, 0)) {
        c = say(PAY_DIAG_AAD_EMPTY, out, cap,
                "the tag verifies with an empty AAD: the producer did not authenticate the "
                "protected header; use the ASCII bytes of the base64url header segment as the AAD "
                "(RFC 7516)");
    } else if (opens(&t, key->bytes, key->len, (const uint8_t *)json, json_len)) {
        c = say(PAY_DIAG_AAD_DECODED, out, cap,
                "the tag verifies when the AAD is the decoded header JSON: the AAD must be the "
                "base64url text of the header segment, exactly as sent");
    } else if ((c = try_reserialized(&t, key, out, cap))) {
        /* sentence written */
    } else if ((c = try_key_derivations(&t, key, out, cap))) {
        /* sentence written */
    } else if (key->len == 32 && (opens_with_header(&t, key->bytes, 16) ||
                                  opens_with_header(&t, key->bytes, 24))) {
        char s[PAY_DIAG_SENTENCE_MAX];
        snprintf(s, sizeof s,
                 "the content was sealed with AES-%s-GCM using the first bytes of the key while "
                 "the header says %s: use A256GCM with the whole 32-byte key",
                 opens_with_header(&t, key->bytes, 16) ? "128" : "192",
                 enc == PAY_ENC_A128GCM ? "A128GCM" : enc == PAY_ENC_A192GCM ? "A192GCM" : "A256GCM");
        c = say(PAY_DIAG_ENC_MISMATCH, out, cap, s);
    } else {
        for (size_t i = 0; i < ncandidates && !c; i++) {
            if (!candidates[i].key) continue;
            if (opens_with_header(&t, candidates[i].key->bytes, candidates[i].key->len)) {
                char s[PAY_DIAG_SENTENCE_MAX];
                snprintf(s, sizeof s, "the token was sealed with %s", candidates[i].label);
                c = say(PAY_DIAG_OTHER_KEY, out, cap, s);
            }
        }
    }
    if (!c)
        say(PAY_DIAG_UNEXPLAINED, out, cap,
            "no known mistake explains it: the token was not sealed with this key (check that the "
            "security key belongs to the same merchant and test/live environment as the secret "
            "key)");
    free(t.scratch);
    return c;
}
