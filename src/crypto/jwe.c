/*
 * JWE compact serialization, alg "dir", enc A128/A192/A256GCM (spec §3).
 *
 * Every check of jwe-rules.md (docs/JWE.md) happens here, before any byte
 * reaches OpenSSL, and each has its own pay_err code and a message naming the
 * segment, the offset and the rule. Order of checks in pay_jwe_parse:
 *   12 length cap -> 1 whitespace, segment count -> 2 strict base64url of all
 *   five segments -> 3/5 header JSON object without duplicates -> 3 alg, enc
 *   -> 4 crit, zip -> member types -> 6 empty encrypted key -> 8 IV -> 9 tag.
 * pay_jwe_decrypt adds 7 (key length), 10 (AAD = received header segment) and
 * 11 (no plaintext before the tag verifies; wiped on failure).
 *
 * Allocation: a parsed token is one malloc (struct + decoded segments) plus
 * jansson's header objects; decryption is one malloc for the plaintext (plus
 * zlib's state when zip is used); sealing is one malloc for the token, the
 * ciphertext going through a stack buffer straight into base64url.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/b64.h"
#include "common/ids.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "crypto/gcm.h"
#include "payout/jwe.h"

#define SEGMENTS 5
/* Nesting allowed in the protected header: ours is flat; a few levels leave
 * room for a JWK-valued member without letting a crafted header recurse deep
 * into jansson's parser. */
#define HEADER_DEPTH_MAX 8
/* Sealing encrypts this many bytes at a time into a stack buffer; a multiple
 * of 3 so that the base64url of consecutive chunks concatenates exactly. */
#define SEAL_CHUNK (3 * 1024)
/* Longest header value quoted back in an error message. */
#define QUOTE_MAX 40
#define QUOTE_BUF (QUOTE_MAX + 8)
/* First allocation for inflated output, as a multiple of the deflated size. */
#define INFLATE_GUESS 4
#define INFLATE_MIN 256

enum { SEG_HEADER = 0, SEG_KEY = 1, SEG_IV = 2, SEG_CT = 3, SEG_TAG = 4 };

static const char *const seg_names[SEGMENTS] = {
    "protected header", "encrypted key", "IV", "ciphertext", "authentication tag",
};

static const char tag_mismatch_msg[] =
    "authentication tag mismatch: the token was not sealed with this key, or "
    "header/IV/ciphertext/tag were altered";

#define FAST_MEMBERS 16
struct pay_jwe {
    pay_jwe_enc enc;
    bool zip;
    json_t *header; /* NULL when the fast parser took the header */
    size_t n_fast;
    const char *fast_name[FAST_MEMBERS], *fast_value[FAST_MEMBERS];
    char *header_seg; /* received segment 1 (the AAD), NUL-terminated */
    size_t header_seg_len;
    char *header_json; /* decoded segment 1, NUL-terminated */
    size_t header_json_len;
    uint8_t *iv;
    size_t iv_len;
    uint8_t *ct;
    size_t ct_len;
    uint8_t *tag;
    size_t tag_len;
    uint8_t mem[]; /* backing store of the pointers above */
};

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *enc_name(pay_jwe_enc enc)
{
    switch (enc) {
    case PAY_ENC_A128GCM:
        return "A128GCM";
    case PAY_ENC_A192GCM:
        return "A192GCM";
    case PAY_ENC_A256GCM:
        return "A256GCM";
    case PAY_ENC_NONE:
        break;
    }
    return "(none)";
}

/* Copies a header value into out for an error message: at most QUOTE_MAX
 * bytes, cut on a UTF-8 boundary, control characters shown as '?'. */
static const char *quote(const char *s, char out[QUOTE_BUF])
{
    size_t n = strlen(s), k = n > QUOTE_MAX ? QUOTE_MAX : n;
    while (k < n && k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
        k--;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
    }
    if (k < n) {
        memcpy(out + k, "...", 4);
    } else {
        out[k] = 0;
    }
    return out;
}

/* Maximum nesting of objects/arrays, ignoring brackets inside strings. */
static size_t json_depth(const char *s, size_t n)
{
    size_t depth = 0, max = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max) max = depth;
        } else if ((c == '}' || c == ']') && depth) {
            depth--;
        }
    }
    return max;
}

void pay_jwe_trim(const char **token, size_t *len, size_t *removed_front, size_t *removed_back)
{
    size_t front = 0, back = 0;
    if (token && *token && len) {
        const char *t = *token;
        size_t n = *len;
        while (front < n && is_ws((unsigned char)t[front]))
            front++;
        while (back < n - front && is_ws((unsigned char)t[n - 1 - back]))
            back++;
        *token = t + front;
        *len = n - front - back;
    }
    if (removed_front) *removed_front = front;
    if (removed_back) *removed_back = back;
}

/* ---- parsing ------------------------------------------------------------- */

/* Rule 1: whitespace anywhere, then the segment count. Fills seg/seg_len. */
static pay_err check_framing(const char *t, size_t n, const char *seg[SEGMENTS],
                             size_t seg_len[SEGMENTS], pay_error *err)
{
    if (n == 0) return pay_error_set(err, PAY_ERR_JWE_SEGMENTS, "token is empty");
    if (is_ws((unsigned char)t[0]))
        return pay_error_set(err, PAY_ERR_JWE_WHITESPACE,
                             "token has leading whitespace (0x%02X) at offset 0; compact JWE "
                             "has none (strip the newline or spaces a file or terminal added)",
                             (unsigned char)t[0]);
    size_t end = n;
    while (end > 0 && is_ws((unsigned char)t[end - 1]))
        end--;
    if (end < n)
        return pay_error_set(err, PAY_ERR_JWE_WHITESPACE,
                             "token has trailing whitespace (0x%02X) at offset %zu; compact JWE "
                             "has none (strip the newline or spaces a file or terminal added)",
                             (unsigned char)t[end], end);
    size_t dots = 0, start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (is_ws(c)) {
            size_t k = dots < SEGMENTS ? dots : SEGMENTS - 1;
            return pay_error_set(err, PAY_ERR_JWE_WHITESPACE,
                                 "invalid character 0x%02X at offset %zu (segment %zu, %s): "
                                 "whitespace inside a compact JWE",
                                 c, i, dots + 1, dots < SEGMENTS ? seg_names[k] : "extra");
        }
        if (c == '.') {
            if (dots < SEGMENTS - 1) {
                seg[dots] = t + start;
                seg_len[dots] = i - start;
            }
            dots++;
            start = i + 1;
        }
    }
    if (dots != SEGMENTS - 1)
        return pay_error_set(err, PAY_ERR_JWE_SEGMENTS,
                             "expected 5 segments separated by '.', got %zu", dots + 1);
    seg[SEGMENTS - 1] = t + start;
    seg_len[SEGMENTS - 1] = n - start;
    return PAY_OK;
}

/* The five segments at the four dots; false when there are not exactly
 * four. The cheap path: check_framing runs only for a token that fails,
 * since whitespace is outside the base64url alphabet, so a token it would
 * refuse has another number of dots or fails to decode. */
static bool split_at_dots(const char *t, size_t n, const char *seg[SEGMENTS],
                          size_t seg_len[SEGMENTS])
{
    const char *q = t, *end = t + n;
    for (int k = 0; k < SEGMENTS - 1; k++) {
        const char *dot = q < end ? memchr(q, '.', (size_t)(end - q)) : NULL;
        if (!dot) return false;
        seg[k] = q;
        seg_len[k] = (size_t)(dot - q);
        q = dot + 1;
    }
    if (q < end && memchr(q, '.', (size_t)(end - q))) return false;
    seg[SEGMENTS - 1] = q;
    seg_len[SEGMENTS - 1] = (size_t)(end - q);
    return true;
}

/* Rule 2 for one segment: strict base64url into out. */
static pay_err decode_segment(const char *token, const char *s, size_t n, int k, uint8_t *out,
                              size_t *out_len, pay_error *err)
{
    size_t where = 0;
    pay_b64_status st = pay_b64url_decode(s, n, out, out_len, &where);
    size_t off = (size_t)(s - token) + where;
    unsigned char c = where < n ? (unsigned char)s[where] : 0;
    switch (st) {
    case PAY_B64_OK:
        return PAY_OK;
    case PAY_B64_BAD_CHAR:
        if (c > 0x20 && c < 0x7f)
            return pay_error_set(err, PAY_ERR_JWE_BASE64,
                                 "invalid character 0x%02X ('%c') at offset %zu (segment %d, %s): "
                                 "base64url allows only A-Z a-z 0-9 '-' '_'",
                                 c, (char)c, off, k + 1, seg_names[k]);
        return pay_error_set(err, PAY_ERR_JWE_BASE64,
                             "invalid character 0x%02X at offset %zu (segment %d, %s): base64url "
                             "allows only A-Z a-z 0-9 '-' '_'",
                             c, off, k + 1, seg_names[k]);
    case PAY_B64_PADDING:
        return pay_error_set(err, PAY_ERR_JWE_BASE64,
                             "segment %d (%s) has padding '=' at offset %zu; JWE base64url is "
                             "unpadded",
                             k + 1, seg_names[k], off);
    case PAY_B64_BAD_LENGTH:
        return pay_error_set(err, PAY_ERR_JWE_BASE64,
                             "segment %d (%s) has %zu characters, an impossible base64url length "
                             "(length mod 4 == 1)",
                             k + 1, seg_names[k], n);
    case PAY_B64_TRAILING_BITS:
        return pay_error_set(err, PAY_ERR_JWE_BASE64,
                             "segment %d (%s) is not canonical base64url: the last character, at "
                             "offset %zu, has non-zero unused bits",
                             k + 1, seg_names[k], off);
    }
    return pay_error_set(err, PAY_ERR_INTERNAL, "base64url decoder returned %d", (int)st);
}

/* Rules 3 and 5: a UTF-8 JSON object, nothing after it, no duplicate names. */
static pay_err load_header(const char *json, size_t n, json_t **out, pay_error *err)
{
    json_error_t jerr;
    size_t bad = 0;
    *out = NULL;
    if (n == 0) return pay_error_set(err, PAY_ERR_JWE_HEADER, "protected header is empty");
    if (!pay_utf8_valid(json, n, &bad))
        return pay_error_set(err, PAY_ERR_JWE_HEADER,
                             "protected header is not valid UTF-8 (byte %zu of the decoded header)",
                             bad);
    if (json_depth(json, n) > HEADER_DEPTH_MAX)
        return pay_error_set(err, PAY_ERR_JWE_HEADER,
                             "protected header nests deeper than %d levels", HEADER_DEPTH_MAX);
    /* Without JSON_DECODE_ANY jansson takes only an object or array at the
     * top level and, without JSON_DISABLE_EOF_CHECK, nothing after it. */
    json_t *h = json_loadb(json, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!h) {
        switch (json_error_code(&jerr)) {
        case json_error_duplicate_key:
            return pay_error_set(err, PAY_ERR_JWE_HEADER_DUP,
                                 "protected header has a duplicate member name (%s); RFC 7516 "
                                 "allows either rejecting or taking the last, and payoutd rejects",
                                 jerr.text);
        case json_error_end_of_input_expected:
            return pay_error_set(err, PAY_ERR_JWE_HEADER,
                                 "protected header has data after the JSON object (byte %zu of "
                                 "the decoded header)",
                                 (size_t)jerr.position);
        default:
            return pay_error_set(err, PAY_ERR_JWE_HEADER,
                                 "protected header is not valid JSON: %s (byte %zu of the decoded "
                                 "header)",
                                 jerr.text, (size_t)jerr.position);
        }
    }
    if (!json_is_object(h)) {
        json_decref(h);
        return pay_error_set(err, PAY_ERR_JWE_HEADER,
                             "protected header is a JSON array, not an object");
    }
    *out = h;
    return PAY_OK;
}

/* A member of the protected header: *present, and its string value or NULL
 * when it is not a string. */
static const char *member(const pay_jwe *j, const char *name, bool *present)
{
    if (j->header) {
        json_t *v = json_object_get(j->header, name);
        *present = v != NULL;
        return json_is_string(v) ? json_string_value(v) : NULL;
    }
    for (size_t i = 0; i < j->n_fast; i++)
        if (!strcmp(j->fast_name[i], name)) {
            *present = true;
            return j->fast_value[i];
        }
    *present = false;
    return NULL;
}

static size_t skip_json_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* The usual header, a flat object of at most FAST_MEMBERS distinct names
 * whose values are strings without escapes or control characters, read
 * without jansson (which cost a quarter of a seal + open). Anything else,
 * including every malformed header, returns false and goes to jansson, so
 * what is accepted or refused, and every message, stays jansson's. buf has
 * room for a copy of the header JSON; names and values point into it. */
static bool fast_header(pay_jwe *j, char *buf)
{
    size_t n = j->header_json_len, i;
    if (!pay_utf8_valid(j->header_json, n, NULL)) return false;
    memcpy(buf, j->header_json, n + 1);
    i = skip_json_ws(buf, 0, n);
    if (i >= n || buf[i++] != '{') return false;
    j->n_fast = 0;
    for (;;) {
        const char *str[2]; /* name, value */
        for (int part = 0; part < 2; part++) {
            i = skip_json_ws(buf, i, n);
            if (i >= n || buf[i] != '"') return false; /* {}, numbers, objects... */
            str[part] = buf + ++i;
            for (; i < n && buf[i] != '"'; i++)
                if (buf[i] == '\\' || (unsigned char)buf[i] < 0x20) return false;
            if (i >= n) return false;
            buf[i++] = 0;
            i = skip_json_ws(buf, i, n);
            if (part == 0 && (i >= n || buf[i++] != ':')) return false;
        }
        if (j->n_fast == FAST_MEMBERS) return false;
        for (size_t k = 0; k < j->n_fast; k++)
            if (strcmp(j->fast_name[k], str[0]) == 0) return false; /* jansson names it */
        j->fast_name[j->n_fast] = str[0];
        j->fast_value[j->n_fast++] = str[1];
        if (i < n && buf[i] == ',') {
            i++;
            continue;
        }
        if (i >= n || buf[i++] != '}') return false;
        return skip_json_ws(buf, i, n) == n;
    }
}

/* Rules 3 and 4 plus member types, on the parsed header. */
static pay_err check_members(const pay_jwe *j, pay_jwe_enc *enc, bool *zip, pay_error *err)
{
    bool present;
    static const char *const string_members[] = {"typ", "cty", "kid", "iat", "nonce"};
    char q[QUOTE_BUF];
    const char *v = member(j, "alg", &present);
    if (!present)
        return pay_error_set(err, PAY_ERR_JWE_ALG, "protected header has no \"alg\" member");
    if (!v) return pay_error_set(err, PAY_ERR_JWE_ALG, "alg must be the string \"dir\"");
    if (strcmp(v, "dir") != 0)
        return pay_error_set(err, PAY_ERR_JWE_ALG, "alg \"%s\" is not supported (only \"dir\")",
                             quote(v, q));

    v = member(j, "enc", &present);
    if (!present)
        return pay_error_set(err, PAY_ERR_JWE_ENC, "protected header has no \"enc\" member");
    if (!v)
        return pay_error_set(err, PAY_ERR_JWE_ENC,
                             "enc must be a string (A128GCM, A192GCM or A256GCM)");
    const char *e = v;
    if (strcmp(e, "A128GCM") == 0)
        *enc = PAY_ENC_A128GCM;
    else if (strcmp(e, "A192GCM") == 0)
        *enc = PAY_ENC_A192GCM;
    else if (strcmp(e, "A256GCM") == 0)
        *enc = PAY_ENC_A256GCM;
    else
        return pay_error_set(err, PAY_ERR_JWE_ENC,
                             "enc \"%s\" is not supported (only A128GCM, A192GCM, A256GCM)",
                             quote(e, q));

    /* RFC 7516 4.1.13: a recipient must reject crit extensions it does not
     * understand, and payoutd understands none (an empty list is invalid too). */
    (void)member(j, "crit", &present);
    if (present)
        return pay_error_set(err, PAY_ERR_JWE_CRIT,
                             "crit is not supported (payoutd understands no JWE extension)");

    *zip = false;
    v = member(j, "zip", &present);
    if (present) {
        if (!v) return pay_error_set(err, PAY_ERR_JWE_ZIP, "zip must be the string \"DEF\"");
        if (strcmp(v, "DEF") != 0)
            return pay_error_set(err, PAY_ERR_JWE_ZIP, "zip \"%s\" is not supported (only DEF)",
                                 quote(v, q));
        *zip = true;
    }

    for (size_t i = 0; i < sizeof string_members / sizeof string_members[0]; i++) {
        v = member(j, string_members[i], &present);
        if (present && !v)
            return pay_error_set(err, PAY_ERR_JWE_HEADER_MEMBER,
                                 "header member \"%s\" must be a string", string_members[i]);
    }
    return PAY_OK;
}

pay_err pay_jwe_parse(const char *token, size_t len, pay_jwe **out, pay_error *err)
{
    return pay_jwe_parse_limit(token, len, PAY_JWE_TOKEN_MAX, out, err);
}

pay_err pay_jwe_parse_limit(const char *token, size_t len, size_t max_len, pay_jwe **out,
                            pay_error *err)
{
    const char *seg[SEGMENTS] = {NULL};
    size_t seg_len[SEGMENTS] = {0};
    size_t dec_len[SEGMENTS] = {0};
    pay_jwe *j = NULL;
    pay_err rc;

    if (out) *out = NULL;
    if (!out || (!token && len))
        return pay_error_set(err, PAY_ERR_INVALID_ARG, "pay_jwe_parse: no token or output");
    /* Rule 12 first: nothing below runs on an oversized input. */
    if (max_len > PAY_JWE_SEAL_MAX) max_len = PAY_JWE_SEAL_MAX;
    if (len > max_len)
        return pay_error_set(err, PAY_ERR_JWE_TOO_LONG, "token is %zu characters; the limit is %zu",
                             len, max_len);
    if (!split_at_dots(token, len, seg, seg_len)) {
        rc = check_framing(token, len, seg, seg_len, err);
        return rc != PAY_OK ? rc : pay_error_set(err, PAY_ERR_JWE_SEGMENTS, "expected 5 segments");
    }

    /* One block: the struct, a copy of segment 1 (the AAD), and room for
     * every decoded segment. Sizes are bounded by the token cap. */
    size_t size = sizeof *j + seg_len[SEG_HEADER] + 1;
    for (int k = 0; k < SEGMENTS; k++)
        size += pay_b64_decoded_max(seg_len[k]) + 1;
    size += seg_len[SEG_HEADER] + 1; /* the fast header parser's copy */
    j = calloc(1, size);
    if (!j) return pay_error_set(err, PAY_ERR_NOMEM, "out of memory parsing a %zu-byte token", len);
    uint8_t *p = j->mem;
    uint8_t *dec[SEGMENTS];
    for (int k = 0; k < SEGMENTS; k++) {
        dec[k] = p;
        p += pay_b64_decoded_max(seg_len[k]) + 1;
    }
    j->header_seg = (char *)p;

    for (int k = 0; k < SEGMENTS; k++) {
        rc = decode_segment(token, seg[k], seg_len[k], k, dec[k], &dec_len[k], err);
        if (rc != PAY_OK) {
            /* Rule 1 first: whitespace fails here as a base64url character.
             * check_framing leaves err alone when it finds nothing. */
            pay_err framing = check_framing(token, len, seg, seg_len, err);
            if (framing != PAY_OK) rc = framing;
            goto out;
        }
        dec[k][dec_len[k]] = 0;
    }
    memcpy(j->header_seg, seg[SEG_HEADER], seg_len[SEG_HEADER]);
    j->header_seg[seg_len[SEG_HEADER]] = 0;
    j->header_seg_len = seg_len[SEG_HEADER];
    char *fast_buf = j->header_seg + seg_len[SEG_HEADER] + 1;
    j->header_json = (char *)dec[SEG_HEADER];
    j->header_json_len = dec_len[SEG_HEADER];
    j->iv = dec[SEG_IV];
    j->iv_len = dec_len[SEG_IV];
    j->ct = dec[SEG_CT];
    j->ct_len = dec_len[SEG_CT];
    j->tag = dec[SEG_TAG];
    j->tag_len = dec_len[SEG_TAG];

    if (j->header_json_len > PAY_JWE_HEADER_MAX) {
        rc =
            pay_error_set(err, PAY_ERR_JWE_HEADER, "protected header is %zu bytes; the limit is %d",
                          j->header_json_len, PAY_JWE_HEADER_MAX);
        goto out;
    }
    if (!fast_header(j, fast_buf)) {
        rc = load_header(j->header_json, j->header_json_len, &j->header, err);
        if (rc != PAY_OK) goto out;
    }
    rc = check_members(j, &j->enc, &j->zip, err);
    if (rc != PAY_OK) goto out;

    /* Rule 6 (RFC 7516 5.2 step 10): with dir there is no encrypted key. */
    if (seg_len[SEG_KEY] != 0) {
        rc = pay_error_set(err, PAY_ERR_JWE_ENCRYPTED_KEY,
                           "encrypted key segment must be empty for alg dir (got %zu characters)",
                           seg_len[SEG_KEY]);
        goto out;
    }
    /* Rule 8 (RFC 7518 5.3): 96-bit IV; OpenSSL would accept any length. */
    if (j->iv_len != PAY_JWE_IV_LEN) {
        rc = pay_error_set(err, PAY_ERR_JWE_IV_LENGTH, "IV is %zu bytes; %s requires exactly %d",
                           j->iv_len, enc_name(j->enc), PAY_JWE_IV_LEN);
        goto out;
    }
    /* Rule 9: checked here, long before EVP_CTRL_AEAD_SET_TAG could be told
     * an attacker-chosen length (CVE-2023-37464). */
    if (j->tag_len != PAY_JWE_TAG_LEN) {
        rc = pay_error_set(err, PAY_ERR_JWE_TAG_LENGTH,
                           "authentication tag must be %d bytes; got %zu", PAY_JWE_TAG_LEN,
                           j->tag_len);
        goto out;
    }
    *out = j;
    j = NULL;
    rc = PAY_OK;
out:
    pay_jwe_free(j);
    return rc;
}

void pay_jwe_free(pay_jwe *jwe)
{
    if (!jwe) return;
    json_decref(jwe->header);
    free(jwe);
}

/* ---- decrypting ---------------------------------------------------------- */

/* zlib allocator that wipes on free: the inflate window holds plaintext. */
typedef union zhdr {
    size_t size;
    max_align_t align;
} zhdr;

static voidpf zalloc_wiping(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    if (size && items > (SIZE_MAX - sizeof(zhdr)) / size) return Z_NULL;
    size_t n = (size_t)items * size;
    zhdr *h = malloc(sizeof *h + n);
    if (!h) return Z_NULL;
    h->size = n;
    return h + 1;
}

static void zfree_wiping(voidpf opaque, voidpf address)
{
    (void)opaque;
    if (!address) return;
    zhdr *h = (zhdr *)address - 1;
    OPENSSL_cleanse(h, sizeof *h + h->size);
    free(h);
}

/* Grows a secret buffer without realloc, which could leave an unwiped copy. */
static uint8_t *grow_wiping(uint8_t *old, size_t used, size_t old_cap, size_t new_cap)
{
    uint8_t *p = malloc(new_cap);
    if (!p) return NULL;
    if (used) memcpy(p, old, used);
    OPENSSL_cleanse(old, old_cap);
    free(old);
    return p;
}

/* zip "DEF": raw DEFLATE (RFC 1951, RFC 7516 4.1.3), output capped at
 * PAY_JWE_INFLATE_MAX (spec §10 #19) against decompression bombs. */
static pay_err inflate_capped(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len,
                              pay_error *err)
{
    /* Room for one byte past the cap (to detect overflow) and the NUL. */
    const size_t cap_limit = (size_t)PAY_JWE_INFLATE_MAX + 2;
    z_stream zs;
    uint8_t *buf = NULL;
    size_t cap = 0, total = 0;
    pay_err rc = PAY_ERR_INTERNAL;
    bool zs_ready = false;

    memset(&zs, 0, sizeof zs);
    zs.zalloc = zalloc_wiping;
    zs.zfree = zfree_wiping;
    int z = inflateInit2(&zs, -MAX_WBITS);
    if (z != Z_OK) {
        rc = pay_error_set(err, z == Z_MEM_ERROR ? PAY_ERR_NOMEM : PAY_ERR_INTERNAL,
                           "zlib inflateInit2 failed (%d)", z);
        goto out;
    }
    zs_ready = true;
    cap = in_len > cap_limit / INFLATE_GUESS ? cap_limit : in_len * INFLATE_GUESS;
    if (cap < INFLATE_MIN) cap = INFLATE_MIN;
    buf = malloc(cap);
    if (!buf) {
        rc = pay_error_set(err, PAY_ERR_NOMEM, "out of memory inflating the plaintext");
        goto out;
    }
    zs.next_in = (Bytef *)(uintptr_t)in; /* zlib's API is not const-correct */
    zs.avail_in = (uInt)in_len;          /* in_len <= PAY_JWE_TOKEN_MAX */
    for (;;) {
        zs.next_out = buf + total;
        zs.avail_out = (uInt)(cap - 1 - total);
        z = inflate(&zs, Z_NO_FLUSH);
        total = cap - 1 - zs.avail_out;
        if (total > PAY_JWE_INFLATE_MAX) {
            rc = pay_error_set(err, PAY_ERR_JWE_INFLATE,
                               "zip DEF content inflates to more than %d bytes"
                               "; refused as a decompression bomb",
                               PAY_JWE_INFLATE_MAX);
            goto out;
        }
        if (z == Z_STREAM_END) break;
        if (z == Z_MEM_ERROR) {
            rc = pay_error_set(err, PAY_ERR_NOMEM, "out of memory inflating the plaintext");
            goto out;
        }
        if (z != Z_OK && z != Z_BUF_ERROR) {
            rc = pay_error_set(err, PAY_ERR_JWE_INFLATE,
                               "zip DEF content is not valid raw DEFLATE (RFC 1951): %s",
                               zs.msg ? zs.msg : "inflate error");
            goto out;
        }
        if (zs.avail_out == 0) {
            size_t new_cap = cap * 2 < cap_limit ? cap * 2 : cap_limit;
            if (new_cap <= cap) { /* unreachable while the cap check above holds */
                rc = pay_error_set(err, PAY_ERR_INTERNAL, "inflate buffer cannot grow");
                goto out;
            }
            uint8_t *bigger = grow_wiping(buf, total, cap, new_cap);
            if (!bigger) {
                rc = pay_error_set(err, PAY_ERR_NOMEM, "out of memory inflating the plaintext");
                goto out;
            }
            buf = bigger;
            cap = new_cap;
        } else if (zs.avail_in == 0) {
            rc = pay_error_set(err, PAY_ERR_JWE_INFLATE,
                               "zip DEF content is truncated: the DEFLATE stream does not end");
            goto out;
        }
    }
    if (zs.avail_in != 0) {
        rc = pay_error_set(err, PAY_ERR_JWE_INFLATE,
                           "zip DEF content has %u bytes after the end of the DEFLATE stream",
                           zs.avail_in);
        goto out;
    }
    buf[total] = 0;
    *out = buf;
    *out_len = total;
    buf = NULL;
    rc = PAY_OK;
out:
    if (zs_ready) inflateEnd(&zs);
    if (buf) {
        OPENSSL_cleanse(buf, cap);
        free(buf);
    }
    return rc;
}

pay_err pay_jwe_decrypt(const pay_jwe *jwe, const pay_key *key, uint8_t **plaintext,
                        size_t *plaintext_len, pay_error *err)
{
    uint8_t *buf = NULL;
    pay_err rc;

    if (plaintext) *plaintext = NULL;
    if (plaintext_len) *plaintext_len = 0;
    if (!jwe || !key || !plaintext || !plaintext_len)
        return pay_error_set(err, PAY_ERR_INVALID_ARG, "pay_jwe_decrypt: missing argument");
    /* Rule 7: an A128GCM label on a 32-byte key (or the reverse) is refused,
     * never silently truncated or padded. */
    if (key->len != (size_t)jwe->enc)
        return pay_error_set(err, PAY_ERR_JWE_KEY_SIZE, "key is %zu bytes but enc %s needs %d",
                             key->len, enc_name(jwe->enc), (int)jwe->enc);
    buf = malloc(jwe->ct_len + 1);
    if (!buf) return pay_error_set(err, PAY_ERR_NOMEM, "out of memory for the plaintext");
    /* Rule 10: the AAD is the received segment 1, byte for byte. */
    rc = pay_gcm_decrypt(key->bytes, key->len, jwe->iv, jwe->iv_len,
                         (const uint8_t *)jwe->header_seg, jwe->header_seg_len, jwe->ct,
                         jwe->ct_len, jwe->tag, jwe->tag_len, buf);
    if (rc != PAY_OK) {
        if (rc == PAY_ERR_JWE_TAG_MISMATCH)
            pay_error_set(err, rc, "%s", tag_mismatch_msg);
        else if (rc == PAY_ERR_NOMEM)
            pay_error_set(err, rc, "out of memory in AES-GCM");
        else
            pay_error_set(err, rc, "AES-GCM decryption failed inside OpenSSL (%s)",
                          pay_err_name(rc));
        goto out;
    }
    if (jwe->zip) {
        uint8_t *inflated = NULL;
        size_t n = 0;
        rc = inflate_capped(buf, jwe->ct_len, &inflated, &n, err);
        if (rc != PAY_OK) goto out;
        OPENSSL_cleanse(buf, jwe->ct_len + 1);
        free(buf);
        buf = NULL;
        *plaintext = inflated;
        *plaintext_len = n;
    } else {
        buf[jwe->ct_len] = 0;
        *plaintext = buf;
        *plaintext_len = jwe->ct_len;
        buf = NULL;
    }
    rc = PAY_OK;
out:
    if (buf) {
        OPENSSL_cleanse(buf, jwe->ct_len + 1);
        free(buf);
    }
    return rc;
}

pay_err pay_jwe_open(const char *token, size_t len, const pay_key *key, uint8_t **plaintext,
                     size_t *plaintext_len, pay_error *err)
{
    pay_jwe *j = NULL;
    if (plaintext) *plaintext = NULL;
    if (plaintext_len) *plaintext_len = 0;
    pay_err rc = pay_jwe_parse(token, len, &j, err);
    if (rc == PAY_OK) rc = pay_jwe_decrypt(j, key, plaintext, plaintext_len, err);
    pay_jwe_free(j);
    return rc;
}

void pay_jwe_plaintext_free(uint8_t *plaintext, size_t len)
{
    if (!plaintext) return;
    OPENSSL_cleanse(plaintext, len);
    free(plaintext);
}

/* ---- accessors ----------------------------------------------------------- */

pay_jwe_enc pay_jwe_get_enc(const pay_jwe *jwe)
{
    return jwe ? jwe->enc : PAY_ENC_NONE;
}

void pay_jwe_thread_wipe(void)
{
    pay_gcm_thread_wipe();
}

const char *pay_jwe_get_header(const pay_jwe *jwe, const char *name)
{
    bool present;
    if (!jwe || !name) return NULL;
    return member(jwe, name, &present);
}

const char *pay_jwe_get_header_json(const pay_jwe *jwe, size_t *len)
{
    if (len) *len = jwe ? jwe->header_json_len : 0;
    return jwe ? jwe->header_json : NULL;
}

const char *pay_jwe_get_header_segment(const pay_jwe *jwe, size_t *len)
{
    if (len) *len = jwe ? jwe->header_seg_len : 0;
    return jwe ? jwe->header_seg : NULL;
}

size_t pay_jwe_get_ciphertext_len(const pay_jwe *jwe)
{
    return jwe ? jwe->ct_len : 0;
}

const uint8_t *pay_jwe_get_iv(const pay_jwe *jwe)
{
    return jwe ? jwe->iv : NULL;
}

const uint8_t *pay_jwe_get_tag(const pay_jwe *jwe)
{
    return jwe ? jwe->tag : NULL;
}

const uint8_t *pay_jwe_get_ciphertext(const pay_jwe *jwe)
{
    return jwe ? jwe->ct : NULL;
}

/* ---- sealing ------------------------------------------------------------- */

/* Appends s as a JSON string literal (quotes included) at out[*pos]. Escapes
 * '"', '\\' and control characters; other UTF-8 passes through. */
static bool put_json_string(char *out, size_t cap, size_t *pos, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t p = *pos;
    if (p + 1 >= cap) return false;
    out[p++] = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc = 0;
        switch (c) {
        case '"':
            esc = '"';
            break;
        case '\\':
            esc = '\\';
            break;
        case '\b':
            esc = 'b';
            break;
        case '\f':
            esc = 'f';
            break;
        case '\n':
            esc = 'n';
            break;
        case '\r':
            esc = 'r';
            break;
        case '\t':
            esc = 't';
            break;
        default:
            break;
        }
        if (esc) {
            if (p + 2 >= cap) return false;
            out[p++] = '\\';
            out[p++] = esc;
        } else if (c < 0x20) {
            if (p + 6 >= cap) return false;
            memcpy(out + p, "\\u00", 4);
            out[p + 4] = hex[c >> 4];
            out[p + 5] = hex[c & 15];
            p += 6;
        } else {
            if (p + 1 >= cap) return false;
            out[p++] = (char)c;
        }
    }
    if (p + 1 >= cap) return false;
    out[p++] = '"';
    out[p] = 0;
    *pos = p;
    return true;
}

static bool put_raw(char *out, size_t cap, size_t *pos, const char *s)
{
    size_t n = strlen(s);
    if (*pos + n + 1 > cap) return false;
    memcpy(out + *pos, s, n + 1);
    *pos += n;
    return true;
}

/* {"alg":"dir","enc":...,"iat":...,"nonce":...} — the one serialization,
 * used verbatim as segment 1 and (base64url-encoded) as the AAD. */
static pay_err build_header(char *out, size_t cap, size_t *len, pay_jwe_enc enc, const char *iat,
                            const char *nonce, pay_error *err)
{
    size_t bad = 0, pos = 0;
    if (!pay_utf8_valid(iat, strlen(iat), &bad))
        return pay_error_set(err, PAY_ERR_INVALID_ARG, "iat is not valid UTF-8 at byte %zu", bad);
    if (!pay_utf8_valid(nonce, strlen(nonce), &bad))
        return pay_error_set(err, PAY_ERR_INVALID_ARG, "nonce is not valid UTF-8 at byte %zu", bad);
    if (!put_raw(out, cap, &pos, "{\"alg\":\"dir\",\"enc\":\"") ||
        !put_raw(out, cap, &pos, enc_name(enc)) || !put_raw(out, cap, &pos, "\",\"iat\":") ||
        !put_json_string(out, cap, &pos, iat) || !put_raw(out, cap, &pos, ",\"nonce\":") ||
        !put_json_string(out, cap, &pos, nonce) || !put_raw(out, cap, &pos, "}"))
        return pay_error_set(err, PAY_ERR_INVALID_ARG,
                             "iat and nonce make the protected header longer than %d bytes",
                             PAY_JWE_HEADER_MAX);
    *len = pos;
    return PAY_OK;
}

pay_err pay_jwe_seal_ex(const pay_key *key, const pay_jwe_seal_opts *opts, const uint8_t *plaintext,
                        size_t plaintext_len, char **token, size_t *token_len, pay_error *err)
{
    char hdr_buf[PAY_JWE_HEADER_MAX + 1];
    char iat_buf[PAY_IAT_BUF];
    char nonce_buf[PAY_UUID_BUF];
    uint8_t iv[PAY_JWE_IV_LEN];
    uint8_t tag[PAY_GCM_TAG_LEN];
    uint8_t chunk[SEAL_CHUNK];
    pay_gcm_enc g = {NULL};
    const char *hdr;
    size_t hdr_len = 0, bad = 0;
    char *buf = NULL;
    pay_err rc;

    if (token) *token = NULL;
    if (token_len) *token_len = 0;
    if (!key || !token || (!plaintext && plaintext_len))
        return pay_error_set(err, PAY_ERR_INVALID_ARG, "pay_jwe_seal: missing argument");
    if (!pay_gcm_key_len_ok(key->len))
        return pay_error_set(err, PAY_ERR_JWE_KEY_SIZE,
                             "key is %zu bytes; A128GCM, A192GCM and A256GCM need 16, 24 or 32",
                             key->len);
    pay_jwe_enc enc = (pay_jwe_enc)key->len;
    /* The payload is JSON text (spec §3.3): refuse bytes a receiver could
     * only mis-decode (case C20). */
    /* Size first, before reading megabytes for UTF-8 (the exact token
     * length is checked again below). */
    if (plaintext_len > PAY_JWE_SEAL_MAX)
        return pay_error_set(err, PAY_ERR_JWE_PLAINTEXT,
                             "plaintext of %zu bytes is over the limit of %d", plaintext_len,
                             PAY_JWE_SEAL_MAX);
    if (plaintext_len && !pay_utf8_valid((const char *)plaintext, plaintext_len, &bad))
        return pay_error_set(err, PAY_ERR_JWE_PLAINTEXT,
                             "plaintext is not valid UTF-8 at byte offset %zu", bad);

    if (opts && opts->test_header_json) {
        hdr = opts->test_header_json;
        hdr_len = strlen(hdr);
        if (hdr_len > PAY_JWE_TOKEN_MAX)
            return pay_error_set(err, PAY_ERR_INVALID_ARG, "test header is too long");
    } else {
        const char *iat = opts ? opts->iat : NULL;
        const char *nonce = opts ? opts->nonce : NULL;
        if (!iat) {
            pay_format_kst(pay_real_now_us(), iat_buf);
            iat = iat_buf;
        }
        if (!nonce) {
            if (pay_uuid_v4(nonce_buf) != PAY_OK)
                return pay_error_set(err, PAY_ERR_INTERNAL,
                                     "the OS random generator failed (nonce)");
            nonce = nonce_buf;
        }
        rc = build_header(hdr_buf, sizeof hdr_buf, &hdr_len, enc, iat, nonce, err);
        if (rc != PAY_OK) return rc;
        hdr = hdr_buf;
    }

    /* Fresh IV per token: a repeated IV under one GCM key leaks the XOR of
     * plaintexts and lets the tag be forged (case C19). */
    if (opts && opts->test_iv) {
        memcpy(iv, opts->test_iv, sizeof iv);
    } else if (!pay_random_bytes(iv, sizeof iv)) {
        return pay_error_set(err, PAY_ERR_INTERNAL, "the OS random generator failed (IV)");
    }

    size_t hseg = pay_b64url_encoded_len(hdr_len);
    size_t total = hseg + 2 + pay_b64url_encoded_len(sizeof iv) + 1 +
                   pay_b64url_encoded_len(plaintext_len) + 1 + pay_b64url_encoded_len(sizeof tag);
    if (total > PAY_JWE_SEAL_MAX) {
        rc = pay_error_set(err, PAY_ERR_JWE_PLAINTEXT,
                           "plaintext of %zu bytes would make a %zu-character token, over the "
                           "limit of %d",
                           plaintext_len, total, PAY_JWE_SEAL_MAX);
        goto out;
    }
    buf = malloc(total + 1);
    if (!buf) {
        rc = pay_error_set(err, PAY_ERR_NOMEM, "out of memory for a %zu-character token", total);
        goto out;
    }
    char *p = buf;
    p += pay_b64url_encode((const uint8_t *)hdr, hdr_len, p);
    /* Rule 10 from the producer's side: the AAD is exactly the segment just
     * written, never a second serialization of the header (case C04). */
    rc = pay_gcm_enc_begin(&g, key->bytes, key->len, iv, sizeof iv, (const uint8_t *)buf, hseg);
    if (rc != PAY_OK) goto crypto_fail;
    *p++ = '.';
    *p++ = '.';
    p += pay_b64url_encode(iv, sizeof iv, p);
    *p++ = '.';
    for (size_t off = 0; off < plaintext_len; off += SEAL_CHUNK) {
        size_t n = plaintext_len - off < SEAL_CHUNK ? plaintext_len - off : SEAL_CHUNK;
        rc = pay_gcm_enc_update(&g, plaintext + off, n, chunk);
        if (rc != PAY_OK) goto crypto_fail;
        p += pay_b64url_encode(chunk, n, p);
    }
    rc = pay_gcm_enc_finish(&g, tag);
    if (rc != PAY_OK) goto crypto_fail;
    *p++ = '.';
    p += pay_b64url_encode(tag, sizeof tag, p);
    *p = 0;
    if ((size_t)(p - buf) != total) {
        rc = pay_error_set(err, PAY_ERR_INTERNAL, "token length %zu, expected %zu",
                           (size_t)(p - buf), total);
        goto out;
    }
    *token = buf;
    if (token_len) *token_len = total;
    buf = NULL;
    rc = PAY_OK;
    goto out;
crypto_fail:
    pay_error_set(err, rc, "AES-GCM encryption failed inside OpenSSL (%s)", pay_err_name(rc));
out:
    pay_gcm_enc_free(&g);
    free(buf);
    OPENSSL_cleanse(chunk, plaintext_len < sizeof chunk ? plaintext_len : sizeof chunk);
    return rc;
}

pay_err pay_jwe_seal(const pay_key *key, const uint8_t *plaintext, size_t plaintext_len,
                     char **token, size_t *token_len, pay_error *err)
{
    return pay_jwe_seal_ex(key, NULL, plaintext, plaintext_len, token, token_len, err);
}
