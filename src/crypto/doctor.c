/*
 * pay_jwe_doctor (payout/doctor.h): why a token does not work, in one
 * sentence with the fix, and the findings behind it.
 *
 * The order of work follows the order in which an integration breaks:
 *   1. the key text (C06/C07): loaded with pay_key_from_hex; if refused, the
 *      obvious repairs (one trailing newline, surrounding whitespace, quotes,
 *      a NAME= or 0x prefix) are tried and named;
 *   2. the token text (C11 and rule 2): surrounding whitespace is removed as
 *      every decoder should; inner whitespace, '=' padding, the standard
 *      alphabet and non-zero unused bits are repaired only to diagnose
 *      further, and each is reported as the error it is;
 *   3. pay_jwe_parse on the result: what still fails is a rule no repair
 *      fixes (IV, tag, encrypted key, alg/enc, crit, zip); with the key, a
 *      16-byte IV or a cut or padded tag is then checked as an explanation;
 *   4. decryption; on a tag mismatch pay_jwe_diagnose (diagnose.h) names the
 *      known mistake, else the key is simply not the one that sealed it;
 *   5. when it opens: plaintext (pay_jwe_plaintext_check) and iat checks;
 *   6. a captured HTTP request: headers against body (C15).
 * Repairs never change what counts as opening: `opened` is true only for the
 * token and key as given (surrounding token whitespace aside).
 *
 * Secrets: the key, derived keys and trial plaintexts live in local buffers
 * that are wiped before returning; sentences never quote them.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "crypto/gcm.h"
#include "payout/doctor.h"

enum { SEG_HEADER = 0, SEG_KEY = 1, SEG_IV = 2, SEG_CT = 3, SEG_TAG = 4, NSEG = 5 };

#define HOUR_US (INT64_C(3600) * 1000000)
#define MINUTE_US (INT64_C(60) * 1000000)
/* How close to exactly 9 h (or 1 h) a skew must be to blame the time zone
 * (or DST) rather than a drifting clock. */
#define ZONE_SLACK_US (15 * MINUTE_US)
/* A tag prefix this short can match by chance (1 in 2^32 or worse). */
#define TAG_PREFIX_WEAK 4
#define QUOTE_MAX 40
#define QUOTE_BUF (QUOTE_MAX + 8)
#define HEADER_VALUE_MAX 64 /* Content-Type and security-mode values kept */

static const char *const seg_names[NSEG] = {
    "protected header", "encrypted key", "IV", "ciphertext", "authentication tag",
};

/* snprintf for sentences: truncation is intended (every buffer is a named
 * limit), so the result is not checked. */
__attribute__((format(printf, 3, 4))) static void setf(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

/* ---- findings -------------------------------------------------------------- */

/* Control bytes become '?', and every non-ASCII byte too when the text is
 * not valid UTF-8: a sentence may quote the token or jansson's error text,
 * and printing it must not drive a terminal. */
static void sanitize(char *s)
{
    size_t n = strlen(s);
    bool utf8 = pay_utf8_valid(s, n, NULL);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || (!utf8 && c >= 0x80)) s[i] = '?';
    }
}

static pay_finding *push(pay_finding *arr, size_t cap, size_t *n, unsigned rule,
                         pay_finding_level level)
{
    if (*n >= cap) return NULL;
    pay_finding *f = &arr[(*n)++];
    memset(f, 0, sizeof *f);
    f->rule = rule;
    f->level = level;
    f->ok = level <= PAY_FINDING_NOTE;
    return f;
}

__attribute__((format(printf, 6, 7))) static pay_finding *addf(pay_finding *arr, size_t cap,
                                                               size_t *n, unsigned rule,
                                                               pay_finding_level level,
                                                               const char *fmt, ...)
{
    pay_finding *f = push(arr, cap, n, rule, level);
    if (!f) return NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->text, sizeof f->text, fmt, ap);
    va_end(ap);
    sanitize(f->text);
    return f;
}

#define ADD(r, rule, level, ...)                                                                   \
    addf((r)->findings, PAY_DOCTOR_FINDINGS_MAX, &(r)->nfindings, rule, level, __VA_ARGS__)

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *quote(const char *s, size_t n, char out[QUOTE_BUF])
{
    size_t k = n > QUOTE_MAX ? QUOTE_MAX : n;
    while (k < n && k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
        k--;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
    }
    if (k < n)
        memcpy(out + k, "...", 4);
    else
        out[k] = 0;
    return out;
}

static bool ascii_prefix_ieq(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n < m) return false;
    for (size_t i = 0; i < m; i++) {
        char a = s[i], b = lit[i];
        if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
        if (a != b) return false;
    }
    return true;
}

const char *pay_doctor_verdict_name(pay_doctor_verdict v)
{
    switch (v) {
    case PAY_DOCTOR_OPENS:
        return "opens";
    case PAY_DOCTOR_OPENS_REPAIRED:
        return "opens-after-repair";
    case PAY_DOCTOR_BAD_KEY:
        return "bad-key";
    case PAY_DOCTOR_MALFORMED:
        return "malformed";
    case PAY_DOCTOR_EXPLAINED:
        return "explained";
    case PAY_DOCTOR_WRONG_KEY:
        return "wrong-key";
    case PAY_DOCTOR_NOT_JWE:
        return "not-jwe";
    case PAY_DOCTOR_REQUEST_MISMATCH:
        return "request-mismatch";
    }
    return "?";
}

static const pay_finding *first_at_least(const pay_doctor_report *r, pay_finding_level level,
                                         size_t from)
{
    for (size_t i = from; i < r->nfindings; i++)
        if (r->findings[i].level >= level) return &r->findings[i];
    return NULL;
}

/* ---- plaintext ------------------------------------------------------------- */

/* CP949 (a superset of EUC-KR) from byte `from` on: every non-ASCII byte is
 * part of a lead/trail pair, and at least one pair is a KS X 1001 Hangul
 * syllable (lead 0xB0-0xC8, trail 0xA1-0xFE). */
static bool looks_cp949(const uint8_t *p, size_t n, size_t from, size_t *hangul)
{
    size_t h = 0;
    for (size_t i = from; i < n;) {
        uint8_t a = p[i];
        if (a < 0x80) {
            i++;
            continue;
        }
        if (i + 1 >= n || a < 0x81 || a == 0xff) return false;
        uint8_t b = p[i + 1];
        if (!((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x81 && b <= 0xfe)))
            return false;
        if (a >= 0xb0 && a <= 0xc8 && b >= 0xa1 && b <= 0xfe) h++;
        i += 2;
    }
    *hangul = h;
    return h > 0;
}

/* UTF-8 text that was decoded as Latin-1 and encoded again: code points
 * U+00C2..U+00F4 (a lead byte read as a letter) followed by U+0080..U+00BF
 * (a continuation byte read as a letter), e.g. "ê¹€" for "김". */
static size_t mojibake_pairs(const uint8_t *p, size_t n)
{
    size_t pairs = 0;
    unsigned prev = 0;
    for (size_t i = 0; i < n;) {
        unsigned cp = p[i];
        size_t len = 1;
        if ((p[i] & 0xe0) == 0xc0 && i + 1 < n) {
            cp = (unsigned)(p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f);
            len = 2;
        } else if ((p[i] & 0xf0) == 0xe0) {
            len = 3;
            cp = 0x800;
        } else if ((p[i] & 0xf8) == 0xf0) {
            len = 4;
            cp = 0x10000;
        }
        if (prev >= 0xc2 && prev <= 0xf4 && cp >= 0x80 && cp <= 0xbf) pairs++;
        prev = cp;
        i += len;
    }
    return pairs;
}

static bool has_replacement_char(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++)
        if (p[i] == 0xef && p[i + 1] == 0xbf && p[i + 2] == 0xbd) return true;
    return false;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "value";
}

pay_finding_level pay_jwe_plaintext_check(const uint8_t *pt, size_t len, pay_doctor_expect expect,
                                          pay_finding *out, size_t cap, size_t *n)
{
    pay_finding_level worst = PAY_FINDING_OK;
    size_t bad = 0, dummy = 0;
    if (!n) n = &dummy;
    if (!out) cap = 0;
#define PT_ADD(level, ...)                                                                         \
    do {                                                                                           \
        addf(out, cap, n, 0, level, __VA_ARGS__);                                                  \
        if (level > worst) worst = level;                                                          \
    } while (0)
    if (!pt || len == 0) {
        PT_ADD(PAY_FINDING_WARNING, "plaintext is empty: the API expects a JSON %s",
               expect == PAY_EXPECT_ARRAY ? "array" : "object");
        return worst;
    }
    if (!pay_utf8_valid((const char *)pt, len, &bad)) {
        size_t hangul = 0;
        if (looks_cp949(pt, len, bad, &hangul))
            PT_ADD(PAY_FINDING_WARNING,
                   "plaintext is not valid UTF-8 at byte offset %zu (looks like CP949/EUC-KR): "
                   "%zu two-byte Hangul character%s; the producer must encode the JSON text as "
                   "UTF-8 before sealing (e.g. iconv -f CP949 -t UTF-8)",
                   bad, hangul, hangul == 1 ? "" : "s");
        else if (pt[bad] >= 0xa0 && (bad + 1 >= len || pt[bad + 1] < 0x80))
            PT_ADD(PAY_FINDING_WARNING,
                   "plaintext is not valid UTF-8 at byte offset %zu (byte 0x%02X; looks like "
                   "Latin-1/Windows-1252): encode the JSON text as UTF-8 before sealing",
                   bad, pt[bad]);
        else
            PT_ADD(PAY_FINDING_WARNING,
                   "plaintext is not valid UTF-8 at byte offset %zu (byte 0x%02X): encode the "
                   "JSON text as UTF-8 before sealing",
                   bad, pt[bad]);
        return worst; /* JSON parsers refuse it anyway; nothing more to say */
    }
    if (mojibake_pairs(pt, len) >= 2)
        PT_ADD(PAY_FINDING_WARNING,
               "plaintext looks like UTF-8 that was read as Latin-1 and encoded again (text "
               "such as \"\xc3\xaa\xc2\xb9\xe2\x82\xac\" for \"\xea\xb9\x80\"): decode bytes as "
               "UTF-8 before building the JSON");
    if (has_replacement_char(pt, len))
        PT_ADD(PAY_FINDING_WARNING,
               "plaintext contains U+FFFD replacement characters: some text was already garbled "
               "by a decoder before sealing");

    json_error_t jerr;
    json_t *v = json_loadb((const char *)pt, len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
    if (!v) {
        PT_ADD(PAY_FINDING_WARNING, "plaintext is not JSON: %s (byte offset %zu)", jerr.text,
               (size_t)jerr.position);
        return worst;
    }
    size_t end = (size_t)jerr.position;
    while (end < len && is_ws(pt[end]))
        end++;
    if (end < len)
        PT_ADD(PAY_FINDING_WARNING,
               "plaintext has %zu byte%s of trailing garbage after the JSON %s, from byte offset "
               "%zu: send exactly one JSON value",
               len - end, len - end == 1 ? "" : "s", json_kind(v), end);
    const char *want = expect == PAY_EXPECT_ARRAY ? "array" : "object";
    if (json_is_string(v)) {
        json_t *inner = json_loadb(json_string_value(v), json_string_length(v), 0, NULL);
        if (inner)
            PT_ADD(PAY_FINDING_WARNING,
                   "plaintext is JSON encoded twice: a JSON string holding a JSON %s; seal the "
                   "%s itself (encode it once, e.g. one json_encode / JSON.stringify)",
                   json_kind(inner), json_kind(inner));
        else
            PT_ADD(PAY_FINDING_WARNING, "plaintext is a JSON string, not a JSON %s", want);
        json_decref(inner);
    } else if (json_is_object(v) && expect == PAY_EXPECT_ARRAY) {
        PT_ADD(PAY_FINDING_WARNING,
               "plaintext is a JSON object where an array is expected (POST /v2/payouts takes "
               "an array of payouts, spec §3.3)");
    } else if (json_is_array(v) && expect == PAY_EXPECT_OBJECT) {
        PT_ADD(PAY_FINDING_WARNING,
               "plaintext is a JSON array where an object is expected: send the object itself, "
               "not wrapped in [ ]");
    } else if (!json_is_object(v) && !json_is_array(v)) {
        PT_ADD(PAY_FINDING_WARNING, "plaintext is a JSON %s, not a JSON %s", json_kind(v),
               expect == PAY_EXPECT_ANY ? "object or array" : want);
    }
    if (worst == PAY_FINDING_OK)
        PT_ADD(PAY_FINDING_OK, "plaintext is %zu bytes of valid UTF-8, one JSON %s", len,
               json_kind(v));
    json_decref(v);
#undef PT_ADD
    return worst;
}

/* ---- the key --------------------------------------------------------------- */

typedef struct keystate {
    pay_key key;
    bool given, loaded, repaired;
    char repair[96];                   /* "trailing newline", "wrapped in double quotes" */
    char error[PAY_ERROR_MESSAGE_MAX]; /* pay_key_from_hex on the text as typed */
    const char *text;
    size_t text_len;
} keystate;

static void join(char *out, size_t cap, const char *part)
{
    size_t n = strlen(out);
    setf(out + n, cap - n, "%s%s", n ? " and " : "", part);
}

/* Tries pay_key_from_hex on t[s..e); true when it loads. */
static bool try_key(keystate *ks, const char *t, size_t s, size_t e)
{
    pay_error err;
    if (e <= s) return false;
    return pay_key_from_hex(&ks->key, t + s, e - s, &err) == PAY_OK;
}

static void load_key(keystate *ks, pay_doctor_report *r)
{
    const char *t = ks->text;
    size_t n = ks->text_len, s = 0, e = n;
    pay_error err;
    memset(&err, 0, sizeof err);
    if (!t || !n) {
        setf(ks->error, sizeof ks->error, "no security key given");
        ADD(r, 0, PAY_FINDING_ERROR, "no security key given: only the structure was checked");
        return;
    }
    ks->given = true;
    if (pay_key_from_hex(&ks->key, t, n, &err) == PAY_OK) {
        bool upper = false;
        for (size_t i = 0; i < n; i++)
            if (t[i] >= 'A' && t[i] <= 'F') upper = true;
        ks->loaded = true;
        ADD(r, 7, PAY_FINDING_OK, "key: 64 hex characters, hex-decoded to 32 bytes (A256GCM)%s",
            upper ? "; upper-case hex is fine (hex is case-insensitive)" : "");
        return;
    }
    pay_strlcpy(ks->error, err.message, sizeof ks->error);
    ADD(r, 0, PAY_FINDING_ERROR, "key: %s", err.message);

    /* One repair at a time, each named; stop at the first that loads. */
    bool ok = false;
    if (e >= 2 && t[e - 2] == '\r' && t[e - 1] == '\n') {
        e -= 2;
        join(ks->repair, sizeof ks->repair, "trailing CR LF");
    } else if (e >= 1 && t[e - 1] == '\n') {
        e -= 1;
        join(ks->repair, sizeof ks->repair, "trailing newline");
    } else if (e >= 1 && t[e - 1] == '\r') {
        e -= 1;
        join(ks->repair, sizeof ks->repair, "trailing carriage return");
    }
    ok = ks->repair[0] && try_key(ks, t, s, e);
    if (!ok) {
        size_t s0 = s, e0 = e;
        while (s < e && is_ws((unsigned char)t[s]))
            s++;
        while (e > s && is_ws((unsigned char)t[e - 1]))
            e--;
        if (s != s0 || e != e0) {
            join(ks->repair, sizeof ks->repair, "surrounding whitespace");
            ok = try_key(ks, t, s, e);
        }
    }
    if (!ok) { /* PAYOUT_SECURITY_KEY=... copied from a .env line */
        size_t eq = s;
        while (eq < e &&
               (t[eq] == '_' || (t[eq] >= 'A' && t[eq] <= 'Z') || (t[eq] >= 'a' && t[eq] <= 'z') ||
                (eq > s && t[eq] >= '0' && t[eq] <= '9')))
            eq++;
        if (eq > s && eq < e && t[eq] == '=') {
            s = eq + 1;
            join(ks->repair, sizeof ks->repair, "a NAME= prefix from a .env line");
            ok = try_key(ks, t, s, e);
        }
    }
    if (!ok && e - s >= 2 && (t[s] == '"' || t[s] == '\'') && t[e - 1] == t[s]) {
        join(ks->repair, sizeof ks->repair,
             t[s] == '"' ? "wrapped in double quotes" : "wrapped in single quotes");
        s++, e--;
        ok = try_key(ks, t, s, e);
    }
    if (!ok && e - s >= 2 && t[s] == '0' && (t[s + 1] == 'x' || t[s + 1] == 'X')) {
        join(ks->repair, sizeof ks->repair, "a 0x prefix");
        s += 2;
        ok = try_key(ks, t, s, e);
    }
    if (ok) {
        ks->loaded = ks->repaired = true;
        ADD(r, 0, PAY_FINDING_NOTE,
            "key has %zu characters (%s): without it the text is a valid 64-hex-character "
            "security key, and the diagnosis continues with that",
            n, ks->repair);
    } else {
        ks->repair[0] = 0;
        pay_key_wipe(&ks->key);
    }
}

/* ---- token text ------------------------------------------------------------ */

typedef struct tokstate {
    const char *given; /* as passed */
    const char *text;  /* trimmed (and unwrapped) text: what a decoder should see */
    size_t len;
    char *unwrapped; /* owned copy when the JWE came out of quotes or JSON */
    size_t trim_front, trim_back;
    char *repaired; /* owned: inner whitespace, padding, alphabet, bits fixed */
    size_t repaired_len;
    bool token_repaired; /* any repair beyond trimming */
    bool header_changed; /* segment 1 differs after repair (the AAD changes) */
    pay_jwe *jwe;
    pay_error parse_err;
    const char *parse_text; /* the text pay_jwe_parse last ran on */
    size_t parse_len;
} tokstate;

/* True when s looks like a compact JWE: 4 dots, base64(url) characters. */
static bool looks_like_jwe(const char *s, size_t n)
{
    size_t dots = 0;
    if (n < 8) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.')
            dots++;
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_' || c == '+' || c == '/' || c == '='))
            return false;
    }
    return dots == 4;
}

/* A JWE sent inside JSON: "eyJ..." or {"body":"eyJ..."} (spec §3.1 notes
 * integrations that wrapped it and failed). */
static bool unwrap(tokstate *ts, pay_doctor_report *r)
{
    const char *t = ts->text;
    size_t n = ts->len;
    if (n < 2 || (t[0] != '"' && t[0] != '{')) return false;
    json_t *v = json_loadb(t, n, JSON_DECODE_ANY, NULL);
    const char *inner = NULL, *member = NULL;
    size_t inner_len = 0;
    if (json_is_string(v)) {
        inner = json_string_value(v);
        inner_len = json_string_length(v);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m)
        {
            if (json_is_string(m) && looks_like_jwe(json_string_value(m), json_string_length(m))) {
                inner = json_string_value(m);
                inner_len = json_string_length(m);
                member = k;
                break;
            }
        }
    }
    bool done = false;
    if (inner && looks_like_jwe(inner, inner_len) && (ts->unwrapped = malloc(inner_len + 1))) {
        memcpy(ts->unwrapped, inner, inner_len + 1);
        ts->text = ts->unwrapped;
        ts->len = inner_len;
        ts->token_repaired = done = true;
        char q[QUOTE_BUF];
        if (member)
            ADD(r, 1, PAY_FINDING_ERROR,
                "the JWE is wrapped in a JSON object (member \"%s\"): send the bare compact "
                "string as the body, not JSON (spec §3.1); unwrapped for the diagnosis",
                quote(member, strlen(member), q));
        else
            ADD(r, 1, PAY_FINDING_ERROR,
                "the JWE is inside JSON quotes (a JSON string): send the bare compact string, "
                "without quotes (spec §3.1); unquoted for the diagnosis");
    }
    json_decref(v);
    return done;
}

/* Builds the repaired text: no whitespace, no '=', base64url alphabet, zero
 * unused bits. Reports each repair from the inspection of the text. */
static pay_err repair(tokstate *ts, pay_doctor_report *r)
{
    const pay_jwe_report *in = &r->inspect;
    const char *t = ts->text;
    size_t n = ts->len, o = 0, seg = 0, seg_start = 0;
    char *out = malloc(n + 1);
    if (!out) return PAY_ERR_NOMEM;
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? t[i] : '.';
        if (c == '.') {
            /* Clear the unused low bits of the segment's last character. */
            size_t len = o - seg_start;
            if (len % 4 == 2 || len % 4 == 3) {
                static const char alpha[] =
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
                const char *p = strchr(alpha, out[o - 1]);
                if (p && out[o - 1]) {
                    int v = (int)(p - alpha) & (len % 4 == 2 ? 0x30 : 0x3c);
                    if (alpha[v] != out[o - 1]) {
                        out[o - 1] = alpha[v];
                        if (seg == SEG_HEADER) ts->header_changed = true;
                    }
                }
            }
            if (i < n) out[o++] = '.';
            seg_start = o;
            seg++;
            continue;
        }
        if (is_ws((unsigned char)c) || c == '=') {
            if (seg == SEG_HEADER) ts->header_changed = true;
            continue;
        }
        if (c == '+' || c == '/') {
            c = c == '+' ? '-' : '_';
            if (seg == SEG_HEADER) ts->header_changed = true;
        }
        out[o++] = c;
    }
    out[o] = 0;
    ts->repaired = out;
    ts->repaired_len = o;

    /* Name what was repaired, with offsets in the text as given. */
    if (in->ws_inner) {
        /* the inspection ran on the text as given (or as unwrapped) */
        const char *s = ts->unwrapped ? ts->unwrapped : ts->given;
        unsigned char c = (unsigned char)s[in->ws_first_inner_offset];
        size_t k = 0;
        for (size_t i = 0; i < in->ws_first_inner_offset; i++)
            if (s[i] == '.') k++;
        ADD(r, 1, PAY_FINDING_ERROR,
            "invalid character 0x%02X at offset %zu (segment %zu, %s): whitespace inside a "
            "compact JWE%s — removed for the diagnosis; copy the token without line breaks or "
            "spaces",
            c, in->ws_first_inner_offset, k + 1, k < NSEG ? seg_names[k] : "extra segment",
            in->ws_inner > 1 ? " (and more after it)" : "");
        ts->token_repaired = true;
    }
    for (size_t k = 0; k < NSEG && k < in->segment_count; k++) {
        const pay_jwe_segment_info *g = &in->seg[k];
        if (!g->decodable) continue;
        if (g->padded) {
            ADD(r, 2, PAY_FINDING_ERROR,
                "segment %zu (%s) is padded with '=': JWE uses unpadded base64url (RFC 7515 §2) "
                "— stripped for the diagnosis",
                k + 1, seg_names[k]);
            ts->token_repaired = true;
        }
        if (g->std_alphabet) {
            ADD(r, 2, PAY_FINDING_ERROR,
                "segment %zu (%s) uses the standard base64 alphabet ('+' '/'): JWE uses "
                "base64url ('-' '_') — translated for the diagnosis",
                k + 1, seg_names[k]);
            ts->token_repaired = true;
        }
        if (g->trailing_bits) {
            ADD(r, 2, PAY_FINDING_ERROR,
                "segment %zu (%s) is not canonical: its last character has non-zero unused bits "
                "— cleared for the diagnosis",
                k + 1, seg_names[k]);
            ts->token_repaired = true;
        }
    }
    return PAY_OK;
}

/* ---- explanations needing the raw segments ---------------------------------- */

typedef struct rawtok {
    const char *aad; /* segment 1 text */
    size_t aad_len;
    uint8_t *iv, *ct, *tag;
    size_t iv_len, ct_len, tag_len;
    uint8_t *mem;
    size_t mem_len;
} rawtok;

static void rawtok_free(rawtok *rt)
{
    if (rt->mem) {
        OPENSSL_cleanse(rt->mem, rt->mem_len);
        free(rt->mem);
    }
    memset(rt, 0, sizeof *rt);
}

/* Splits a canonical (repaired) text and decodes IV, ciphertext and tag. */
static bool rawtok_load(rawtok *rt, const char *t, size_t n)
{
    const char *seg[NSEG];
    size_t len[NSEG], k = 0, start = 0;
    memset(rt, 0, sizeof *rt);
    for (size_t i = 0; i <= n; i++) {
        if (i == n || t[i] == '.') {
            if (k >= NSEG) return false;
            seg[k] = t + start;
            len[k++] = i - start;
            start = i + 1;
        }
    }
    if (k != NSEG) return false;
    rt->mem_len = pay_b64_decoded_max(len[SEG_IV]) + pay_b64_decoded_max(len[SEG_CT]) +
                  pay_b64_decoded_max(len[SEG_TAG]) + 3;
    rt->mem = malloc(rt->mem_len);
    if (!rt->mem) return false;
    rt->iv = rt->mem;
    rt->ct = rt->iv + pay_b64_decoded_max(len[SEG_IV]) + 1;
    rt->tag = rt->ct + pay_b64_decoded_max(len[SEG_CT]) + 1;
    if (pay_b64url_decode(seg[SEG_IV], len[SEG_IV], rt->iv, &rt->iv_len, NULL) != PAY_B64_OK ||
        pay_b64url_decode(seg[SEG_CT], len[SEG_CT], rt->ct, &rt->ct_len, NULL) != PAY_B64_OK ||
        pay_b64url_decode(seg[SEG_TAG], len[SEG_TAG], rt->tag, &rt->tag_len, NULL) != PAY_B64_OK) {
        rawtok_free(rt);
        return false;
    }
    rt->aad = seg[SEG_HEADER];
    rt->aad_len = len[SEG_HEADER];
    return true;
}

/* The tag this key would have produced over (iv, aad, ct). GCM is CTR mode:
 * plaintext = ct XOR keystream, and the keystream is the encryption of
 * zeros; re-sealing that plaintext yields ct and its full tag. The
 * unverified plaintext only passes through a wiped buffer. */
static bool expected_tag(const pay_key *key, const rawtok *rt, uint8_t tag[PAY_GCM_TAG_LEN])
{
    size_t n = rt->ct_len;
    uint8_t junk[PAY_GCM_TAG_LEN];
    uint8_t *buf = calloc(2, n ? n : 1);
    bool ok = false;
    if (!buf) return false;
    uint8_t *ks = buf, *pt = buf + (n ? n : 1);
    if (pay_gcm_encrypt(key->bytes, key->len, rt->iv, rt->iv_len, NULL, 0, ks, n, ks, junk) ==
        PAY_OK) {
        for (size_t i = 0; i < n; i++)
            pt[i] = ks[i] ^ rt->ct[i];
        ok = pay_gcm_encrypt(key->bytes, key->len, rt->iv, rt->iv_len, (const uint8_t *)rt->aad,
                             rt->aad_len, pt, n, ks, tag) == PAY_OK;
    }
    OPENSSL_cleanse(buf, 2 * (n ? n : 1));
    OPENSSL_cleanse(junk, sizeof junk);
    free(buf);
    return ok;
}

static bool verifies(const pay_key *key, const uint8_t *iv, size_t iv_len, const char *aad,
                     size_t aad_len, const uint8_t *ct, size_t ct_len, const uint8_t *tag)
{
    uint8_t *pt = malloc(ct_len ? ct_len : 1);
    if (!pt) return false;
    bool ok = pay_gcm_decrypt(key->bytes, key->len, iv, iv_len, (const uint8_t *)aad, aad_len, ct,
                              ct_len, tag, PAY_GCM_TAG_LEN, pt) == PAY_OK;
    OPENSSL_cleanse(pt, ct_len ? ct_len : 1);
    free(pt);
    return ok;
}

/* Rules 8 and 9 broken: does the token verify anyway with what was sent? */
static void explain_lengths(const tokstate *ts, const keystate *ks, pay_doctor_report *r)
{
    rawtok rt;
    if (!ks->loaded || !rawtok_load(&rt, ts->parse_text, ts->parse_len)) return;
    const pay_key *key = &ks->key;
    if (ts->parse_err.code == PAY_ERR_JWE_IV_LENGTH && rt.tag_len == PAY_GCM_TAG_LEN &&
        rt.iv_len >= 1 && rt.iv_len <= PAY_GCM_IV_MAX) {
        if (verifies(key, rt.iv, rt.iv_len, rt.aad, rt.aad_len, rt.ct, rt.ct_len, rt.tag))
            ADD(r, 8, PAY_FINDING_NOTE,
                "the tag verifies with this %zu-byte IV and this key: the producer really seals "
                "with %zu-byte IVs (python-jose did), which GCM allows but RFC 7518 does not; "
                "strict decoders, payoutd among them, refuse it",
                rt.iv_len, rt.iv_len);
        else
            ADD(r, 8, PAY_FINDING_NOTE,
                "even with its %zu-byte IV the tag does not verify under this key", rt.iv_len);
    } else if (ts->parse_err.code == PAY_ERR_JWE_TAG_LENGTH && rt.iv_len == PAY_JWE_IV_LEN) {
        if (rt.tag_len > PAY_GCM_TAG_LEN) {
            size_t extra = rt.tag_len - PAY_GCM_TAG_LEN;
            char hex[3 * 4 + 4] = "";
            for (size_t i = 0; i < extra && i < 4; i++)
                setf(hex + strlen(hex), sizeof hex - strlen(hex), "%s%02X", i ? " " : "",
                     rt.tag[PAY_GCM_TAG_LEN + i]);
            if (verifies(key, rt.iv, rt.iv_len, rt.aad, rt.aad_len, rt.ct, rt.ct_len, rt.tag))
                ADD(r, 9, PAY_FINDING_NOTE,
                    "the first 16 bytes of the %zu-byte tag verify: %zu extra byte%s (%s%s) "
                    "%s appended after the real tag; send exactly 16",
                    rt.tag_len, extra, extra == 1 ? "" : "s", hex, extra > 4 ? " ..." : "",
                    extra == 1 ? "was" : "were");
            else
                ADD(r, 9, PAY_FINDING_NOTE,
                    "the first 16 bytes of the %zu-byte tag do not verify under this key either",
                    rt.tag_len);
        } else if (rt.tag_len > 0) {
            uint8_t want[PAY_GCM_TAG_LEN];
            if (expected_tag(key, &rt, want)) {
                if (CRYPTO_memcmp(want, rt.tag, rt.tag_len) == 0)
                    ADD(r, 9, PAY_FINDING_NOTE,
                        "the %zu byte%s present %s the first %zu of the tag this key gives: the "
                        "tag was cut short; send all 16 bytes%s",
                        rt.tag_len, rt.tag_len == 1 ? "" : "s", rt.tag_len == 1 ? "is" : "are",
                        rt.tag_len,
                        rt.tag_len <= TAG_PREFIX_WEAK ? " (a match this short can be chance)" : "");
                else
                    ADD(r, 9, PAY_FINDING_NOTE,
                        "the %zu tag byte%s present do not match the tag this key gives: besides "
                        "being short, the token was not sealed with this key as given",
                        rt.tag_len, rt.tag_len == 1 ? "" : "s");
            }
            OPENSSL_cleanse(want, sizeof want);
        }
    }
    rawtok_free(&rt);
}

/* The header segment was repaired, so the AAD changed: did the producer
 * authenticate the segment as it sent it (padded, '+', '/')? */
static bool explain_header_aad(const tokstate *ts, const keystate *ks, pay_doctor_report *r)
{
    if (!ts->header_changed || !ts->jwe) return false;
    const pay_jwe *j = ts->jwe;
    size_t n = 0;
    /* segment 1 as sent, whitespace removed (it was added on the way) */
    char *sent = malloc(ts->len + 1);
    if (!sent) return false;
    for (size_t i = 0; i < ts->len && ts->text[i] != '.'; i++)
        if (!is_ws((unsigned char)ts->text[i])) sent[n++] = ts->text[i];
    bool ok =
        verifies(&ks->key, pay_jwe_get_iv(j), PAY_JWE_IV_LEN, sent, n, pay_jwe_get_ciphertext(j),
                 pay_jwe_get_ciphertext_len(j), pay_jwe_get_tag(j));
    free(sent);
    if (ok)
        ADD(r, 10, PAY_FINDING_ERROR,
            "the tag verifies over segment 1 exactly as sent (not strict base64url): the "
            "producer encodes the header with padding or the standard alphabet; it must use "
            "unpadded base64url and authenticate those exact bytes");
    return ok;
}

/* The key text did not load: does the token open with the text used the
 * wrong ways a platform would silently accept (C07: 32 hex characters are
 * 32 ASCII bytes, a valid AES-256 key)? Explanation only. */
static void explain_raw_key_text(const tokstate *ts, const keystate *ks, pay_doctor_report *r)
{
    if (!ts->jwe || !ks->given) return;
    const pay_jwe *j = ts->jwe;
    size_t seg_len = 0;
    const char *seg = pay_jwe_get_header_segment(j, &seg_len);
    pay_key k;
    memset(&k, 0, sizeof k);
    const char *how = NULL;
    size_t n = ks->text_len;
    if ((n == 16 || n == 24 || n == 32) &&
        pay_key_from_bytes(&k, (const uint8_t *)ks->text, n, NULL) == PAY_OK &&
        verifies(&k, pay_jwe_get_iv(j), PAY_JWE_IV_LEN, seg, seg_len, pay_jwe_get_ciphertext(j),
                 pay_jwe_get_ciphertext_len(j), pay_jwe_get_tag(j)))
        how = "used as raw ASCII key bytes";
    if (!how && (n == 32 || n == 48)) {
        uint8_t b[24];
        bool hex = true;
        for (size_t i = 0; i < n && hex; i += 2) {
            int v = 0;
            for (int h = 0; h < 2; h++) {
                char c = ks->text[i + (size_t)h];
                int d = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
                if (d < 0) hex = false;
                v = v << 4 | (d & 15);
            }
            b[i / 2] = (uint8_t)v;
        }
        if (hex && pay_key_from_bytes(&k, b, n / 2, NULL) == PAY_OK &&
            verifies(&k, pay_jwe_get_iv(j), PAY_JWE_IV_LEN, seg, seg_len, pay_jwe_get_ciphertext(j),
                     pay_jwe_get_ciphertext_len(j), pay_jwe_get_tag(j)))
            how = n == 32 ? "hex-decoded to a 16-byte AES-128 key"
                          : "hex-decoded to a 24-byte AES-192 key";
        OPENSSL_cleanse(b, sizeof b);
    }
    pay_key_wipe(&k);
    if (how)
        ADD(r, 0, PAY_FINDING_ERROR,
            "the token opens when the %zu characters given are %s: the producer makes the same "
            "mistake, silently using a wrong key; a security key is 64 hex characters, "
            "hex-decoded to 32 bytes",
            n, how);
}

/* ---- iat and nonce --------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

static void check_iat(const pay_jwe_report *in, const char *iat_text, const pay_doctor_opts *o,
                      pay_doctor_report *r)
{
    if (!in->iat_valid || !iat_text) return;
    int64_t now = o->has_now ? o->now_unix_us : pay_real_now_us();
    int64_t window = o->iat_window_us > 0 ? o->iat_window_us : PAY_DOCTOR_IAT_WINDOW_DEFAULT_US;
    int64_t delta = in->iat_unix_us - now;
    char age[64];
    pay_jwe_report_iat_age(in, now, age, sizeof age);
    /* "9 h" out of "9 h ahead of now" */
    char span[64];
    pay_strlcpy(span, age, sizeof span);
    char *cut = strstr(span, " ahead of now");
    if (!cut) cut = strstr(span, " old");
    if (cut) *cut = 0;
    bool utc_label = ends_with(iat_text, "Z") || ends_with(iat_text, "+00:00");
    bool kst_label = ends_with(iat_text, "+09:00");
    if (abs64(delta) <= window) {
        ADD(r, 0, PAY_FINDING_OK, "iat %s is %s; payoutd accepts ±%lld min", in->iat_utc, age,
            (long long)(window / MINUTE_US));
    } else if (delta > 0 && utc_label && abs64(delta - 9 * HOUR_US) <= ZONE_SLACK_US) {
        ADD(r, 0, PAY_FINDING_WARNING,
            "iat is %s ahead — looks like KST local time labelled as UTC (Z): write local time "
            "with +09:00, or take the time from the UTC clock for Z",
            span);
    } else if (delta < 0 && kst_label && abs64(delta + 9 * HOUR_US) <= ZONE_SLACK_US) {
        ADD(r, 0, PAY_FINDING_WARNING,
            "iat is %s behind — looks like UTC time labelled as KST (+09:00): convert to Korean "
            "time before writing +09:00, or write Z",
            span);
    } else if (delta > 0) {
        bool hour = abs64(delta - HOUR_US) <= ZONE_SLACK_US;
        ADD(r, 0, PAY_FINDING_WARNING,
            "iat is %s%s: the producer's clock is ahead; payoutd accepts ±%lld min — "
            "synchronize the clock (NTP)%s",
            age, hour ? " (about one hour: a DST or time-zone setting?)" : "",
            (long long)(window / MINUTE_US), hour ? " and check its time zone" : "");
    } else {
        ADD(r, 0, PAY_FINDING_WARNING,
            "iat is %s: payoutd refuses an iat more than %lld min old (replay protection); "
            "take iat from the clock when sealing, and seal again for every retry",
            age, (long long)(window / MINUTE_US));
    }
}

static bool is_uuid(const char *s)
{
    if (strlen(s) != 36) return false;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

/* ---- captured request ------------------------------------------------------ */

typedef enum body_kind {
    BODY_EMPTY,
    BODY_JWE,
    BODY_JSON,
    BODY_WRAPPED_JWE, /* {"body":"eyJ..."} or "eyJ..." */
    BODY_OTHER,
} body_kind;

typedef struct request {
    bool present, too_long;
    char method[16];
    char path[128];
    bool has_ct, has_mode;
    char ct[HEADER_VALUE_MAX];   /* media type, lower-cased, parameters dropped */
    char mode[HEADER_VALUE_MAX]; /* as sent */
    const char *body;            /* trimmed */
    size_t body_len;
    body_kind kind;
} request;

static void copy_value(char *out, size_t cap, const char *s, size_t n, bool media_type)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        char c = s[i];
        if (media_type && (c == ';' || c == ' ')) break;
        if (media_type && c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        out[o++] = (unsigned char)c < 0x20 || c == 0x7f ? '?' : c;
    }
    out[o] = 0;
}

static body_kind classify_body(const char *b, size_t n)
{
    if (n == 0) return BODY_EMPTY;
    if (looks_like_jwe(b, n)) return BODY_JWE;
    if (b[0] == '{' || b[0] == '[' || b[0] == '"') {
        json_t *v = json_loadb(b, n, JSON_DECODE_ANY, NULL);
        body_kind k = BODY_OTHER;
        if (json_is_string(v) && looks_like_jwe(json_string_value(v), json_string_length(v)))
            k = BODY_WRAPPED_JWE;
        else if (json_is_object(v)) {
            const char *name;
            json_t *m;
            k = BODY_JSON;
            json_object_foreach(v, name, m)
            {
                if (json_is_string(m) &&
                    looks_like_jwe(json_string_value(m), json_string_length(m)))
                    k = BODY_WRAPPED_JWE;
            }
        } else if (json_is_array(v)) {
            k = BODY_JSON;
        }
        json_decref(v);
        return k;
    }
    return BODY_OTHER;
}

static void parse_request(const char *t, size_t n, request *q)
{
    memset(q, 0, sizeof *q);
    q->present = true;
    if (n > PAY_DOCTOR_REQUEST_MAX) {
        q->too_long = true;
        return;
    }
    size_t i = 0;
    bool first = true;
    while (i < n) {
        size_t e = i;
        while (e < n && t[e] != '\n')
            e++;
        size_t le = e > i && t[e - 1] == '\r' ? e - 1 : e;
        size_t next = e < n ? e + 1 : n;
        if (le == i) { /* blank line: the body follows */
            i = next;
            break;
        }
        const char *colon = memchr(t + i, ':', le - i);
        const char *sp = memchr(t + i, ' ', le - i);
        if (first && sp && (!colon || sp < colon)) { /* request line */
            size_t ml = (size_t)(sp - (t + i));
            copy_value(q->method, sizeof q->method, t + i, ml, false);
            const char *p = sp + 1, *pe = memchr(p, ' ', (size_t)(t + le - p));
            copy_value(q->path, sizeof q->path, p, (size_t)((pe ? pe : t + le) - p), false);
        } else if (colon) {
            size_t nl = (size_t)(colon - (t + i));
            const char *v = colon + 1;
            size_t vl = (size_t)(t + le - v);
            while (vl && (*v == ' ' || *v == '\t'))
                v++, vl--;
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (nl == 12 && ascii_prefix_ieq(t + i, nl, "content-type")) {
                q->has_ct = true;
                copy_value(q->ct, sizeof q->ct, v, vl, true);
            } else if (nl == 30 && ascii_prefix_ieq(t + i, nl, "tosspayments-api-security-mode")) {
                q->has_mode = true;
                copy_value(q->mode, sizeof q->mode, v, vl, false);
            }
        }
        first = false;
        i = next;
    }
    const char *b = t + i;
    size_t bl = n - i;
    while (bl && is_ws((unsigned char)b[0]))
        b++, bl--;
    while (bl && is_ws((unsigned char)b[bl - 1]))
        bl--;
    q->body = b;
    q->body_len = bl;
    q->kind = classify_body(b, bl);
}

static pay_doctor_expect expect_from_path(const request *q)
{
    if (!q->present || !ascii_prefix_ieq(q->method, strlen(q->method), "POST"))
        return PAY_EXPECT_ANY;
    const char *p = q->path;
    if (strcmp(p, "/v2/payouts") == 0) return PAY_EXPECT_ARRAY;
    if (strncmp(p, "/v2/sellers", 11) == 0 && !strchr(p + 11, '?')) return PAY_EXPECT_OBJECT;
    return PAY_EXPECT_ANY;
}

/* The findings of check_request; true when one is an error. */
static bool check_request_findings(const request *q, pay_doctor_report *r)
{
    if (q->too_long) {
        ADD(r, 0, PAY_FINDING_ERROR, "captured request is over %d bytes; not read",
            PAY_DOCTOR_REQUEST_MAX);
        return true;
    }
    bool enc_mode = q->has_mode && pay_ascii_ieq(q->mode, "ENCRYPTION");
    bool errors = false;
    char q1[QUOTE_BUF];
    const char *what = q->method[0] ? q->method : "the request";
    if (q->has_mode && !enc_mode)
        ADD(r, 0, PAY_FINDING_WARNING,
            "TossPayments-api-security-mode is \"%s\"; the only value the API knows is "
            "ENCRYPTION",
            quote(q->mode, strlen(q->mode), q1));
    switch (q->kind) {
    case BODY_JWE:
    case BODY_WRAPPED_JWE:
        if (q->kind == BODY_WRAPPED_JWE) {
            ADD(r, 0, PAY_FINDING_ERROR,
                "body is a JWE inside JSON (quoted or wrapped in an object): send the bare "
                "compact JWE as the body, with Content-Type: text/plain (spec §3.1)");
            errors = true;
        }
        if (q->has_ct && strcmp(q->ct, "application/json") == 0) {
            ADD(r, 0, PAY_FINDING_ERROR,
                "body is a JWE but Content-Type is application/json: send it as text/plain "
                "with TossPayments-api-security-mode: ENCRYPTION (spec §3.1)");
            errors = true;
        } else if (!q->has_ct) {
            ADD(r, 0, PAY_FINDING_WARNING,
                "body is a JWE but the request has no Content-Type; send text/plain");
        } else if (strcmp(q->ct, "text/plain") != 0) {
            ADD(r, 0, PAY_FINDING_WARNING,
                "body is a JWE with Content-Type %s; public integrations send text/plain "
                "(spec §3.1)",
                quote(q->ct, strlen(q->ct), q1));
        }
        if (!enc_mode) {
            ADD(r, 0, PAY_FINDING_ERROR,
                "JWE body without the TossPayments-api-security-mode: ENCRYPTION header: the "
                "server reads the body as plain JSON and cannot parse it; add the header");
            errors = true;
        }
        if (!errors && enc_mode && q->has_ct && strcmp(q->ct, "text/plain") == 0)
            ADD(r, 0, PAY_FINDING_OK,
                "request: JWE body, Content-Type text/plain, ENCRYPTION header, as the API "
                "expects");
        break;
    case BODY_JSON:
        if (enc_mode) {
            ADD(r, 0, PAY_FINDING_ERROR,
                "ENCRYPTION header present but body is plain JSON: seal the JSON into a JWE with "
                "the security key (and send it as text/plain), or drop the header");
            errors = true;
        } else if (expect_from_path(q) != PAY_EXPECT_ANY) {
            ADD(r, 0, PAY_FINDING_ERROR,
                "%s %s requires ENCRYPTION mode (spec §2.3): seal the JSON body into a JWE and "
                "add TossPayments-api-security-mode: ENCRYPTION",
                what, q->path);
            errors = true;
        } else {
            ADD(r, 0, PAY_FINDING_NOTE, "request: plain JSON body without the ENCRYPTION header");
        }
        break;
    case BODY_EMPTY:
        if (enc_mode)
            ADD(r, 0, PAY_FINDING_NOTE,
                "request has no body; with the ENCRYPTION header the response comes back as a "
                "JWE");
        break;
    case BODY_OTHER:
        ADD(r, 0, PAY_FINDING_ERROR, "body (%zu bytes) is neither a compact JWE nor JSON%s",
            q->body_len, enc_mode ? ": in ENCRYPTION mode it must be the bare compact JWE" : "");
        errors = true;
        break;
    }
    return errors;
}

/* Case C15: the server picks the protocol from the headers, so headers that
 * disagree with the body produce confusing errors. Returns the first error
 * finding written, or NULL. */
static const pay_finding *check_request(const request *q, pay_doctor_report *r)
{
    size_t from = r->nfindings;
    return check_request_findings(q, r) ? first_at_least(r, PAY_FINDING_ERROR, from) : NULL;
}
/* ---- verdict and headline -------------------------------------------------- */

/* The jwe-rules.md number behind a pay_jwe_parse refusal. */
static unsigned rule_of(pay_err code)
{
    switch (code) {
    case PAY_ERR_JWE_SEGMENTS:
    case PAY_ERR_JWE_WHITESPACE:
        return 1;
    case PAY_ERR_JWE_BASE64:
        return 2;
    case PAY_ERR_JWE_CRIT:
    case PAY_ERR_JWE_ZIP:
        return 4;
    case PAY_ERR_JWE_HEADER_DUP:
        return 5;
    case PAY_ERR_JWE_ENCRYPTED_KEY:
        return 6;
    case PAY_ERR_JWE_IV_LENGTH:
        return 8;
    case PAY_ERR_JWE_TAG_LENGTH:
        return 9;
    case PAY_ERR_JWE_TOO_LONG:
        return 12;
    default: /* header, alg, enc, member types */
        return 3;
    }
}

static const char *parse_fix(pay_err code)
{
    switch (code) {
    case PAY_ERR_JWE_TOO_LONG:
        return "a payout request token is a few kilobytes; this is not one token, or it is "
               "corrupted";
    case PAY_ERR_JWE_SEGMENTS:
        return "a compact JWE is header.encrypted-key.IV.ciphertext.tag, and with alg \"dir\" the "
               "encrypted key is empty ('..')";
    case PAY_ERR_JWE_BASE64:
        return "every segment must be base64url without padding; the text was damaged on the "
               "way or made by another encoder";
    case PAY_ERR_JWE_HEADER:
    case PAY_ERR_JWE_HEADER_DUP:
    case PAY_ERR_JWE_HEADER_MEMBER:
        return "the protected header must be one UTF-8 JSON object with unique member names and "
               "string values for alg, enc, iat and nonce";
    case PAY_ERR_JWE_ALG:
    case PAY_ERR_JWE_ENC:
        return "the payout API uses alg \"dir\" with enc \"A256GCM\" (spec §3.4)";
    case PAY_ERR_JWE_CRIT:
        return "remove crit from the header; no JWE extension is understood";
    case PAY_ERR_JWE_ZIP:
        return "send the plaintext uncompressed; the API never uses zip";
    case PAY_ERR_JWE_ENCRYPTED_KEY:
        return "with alg \"dir\" the security key is the content key, so the second segment must "
               "be empty";
    case PAY_ERR_JWE_IV_LENGTH:
        return "the producer must draw a fresh 12-byte (96-bit) IV for every token (RFC 7518 "
               "§5.3)";
    default:
        return NULL;
    }
}

/* ---- the doctor ------------------------------------------------------------ */

pay_err pay_jwe_doctor(const char *token, size_t len, const char *key_text, size_t key_text_len,
                       const pay_doctor_opts *opts, pay_doctor_report *out)
{
    static const pay_doctor_opts no_opts;
    keystate ks;
    tokstate ts;
    request req;
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    pay_err rc = PAY_OK;
    char head[PAY_DOCTOR_HEADLINE_MAX];
    const pay_finding *req_error = NULL;

    if (!out) return PAY_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (!opts) opts = &no_opts;
    memset(&ks, 0, sizeof ks);
    memset(&ts, 0, sizeof ts);
    memset(&req, 0, sizeof req);
    if (opts->request) parse_request(opts->request, opts->request_len, &req);
    if (!token && req.present) { /* the body is the token ("" when not read) */
        token = req.too_long ? "" : req.body;
        len = req.too_long ? 0 : req.body_len;
    }
    if ((!token && len) || (!token && !req.present)) return PAY_ERR_INVALID_ARG;
    if (!token) token = "";
    pay_doctor_report *r = out;
    pay_doctor_expect expect =
        opts->expect != PAY_EXPECT_ANY ? opts->expect : expect_from_path(&req);

    /* 1. The key. */
    ks.text = key_text;
    ks.text_len = key_text ? key_text_len : 0;
    load_key(&ks, r);
    r->key_loaded = ks.loaded;
    r->key_repaired = ks.repaired;

    /* 2. The token text. */
    rc = pay_jwe_inspect(token, len, &r->inspect);
    if (rc != PAY_OK) goto out;
    size_t token_findings_from = r->nfindings;
    pay_doctor_verdict verdict = PAY_DOCTOR_OPENS;
    head[0] = 0;
    ts.given = token;
    if (r->inspect.too_long) {
        verdict = PAY_DOCTOR_MALFORMED;
        setf(head, sizeof head, "token is %zu characters; the limit is %d (1 MiB): %s", len,
             PAY_JWE_TOKEN_MAX, parse_fix(PAY_ERR_JWE_TOO_LONG));
        ADD(r, 12, PAY_FINDING_ERROR, "token is %zu characters; the limit is %d", len,
            PAY_JWE_TOKEN_MAX);
        goto request;
    }
    ts.text = token;
    ts.len = len;
    pay_jwe_trim(&ts.text, &ts.len, &ts.trim_front, &ts.trim_back);
    if (ts.trim_front || ts.trim_back) {
        char ws[PAY_FINDING_TEXT_MAX];
        /* the inspection names it, e.g. "removed 1 trailing LF" (inner
         * whitespace is reported separately below) */
        if (r->inspect.ws_inner)
            setf(ws, sizeof ws, "removed %zu leading and %zu trailing whitespace bytes",
                 ts.trim_front, ts.trim_back);
        else
            pay_strlcpy(ws, r->inspect.whitespace, sizeof ws);
        ADD(r, 1, PAY_FINDING_NOTE,
            "%s around the token; whitespace is not part of a compact JWE, so it was stripped "
            "(as a decoder reading a file or terminal should)",
            ws);
    }
    if (ts.len == 0) {
        verdict = PAY_DOCTOR_NOT_JWE;
        setf(head, sizeof head, "the token is empty%s: paste the whole compact JWE",
             len ? " (whitespace only)" : "");
        goto request;
    }
    if (unwrap(&ts, r)) {
        rc = pay_jwe_inspect(ts.text, ts.len, &r->inspect);
        if (rc != PAY_OK) goto out;
    } else if (ts.text[0] == '{' || ts.text[0] == '[') {
        /* JSON (dots in its strings do not make it a JWE) */
        verdict = PAY_DOCTOR_NOT_JWE;
        setf(head, sizeof head,
             "this is plain JSON, not a JWE: in ENCRYPTION mode the body must be the JSON sealed "
             "into a compact JWE (five base64url segments)");
        goto request;
    } else if (r->inspect.segment_count == 1) {
        verdict = PAY_DOCTOR_NOT_JWE;
        setf(head, sizeof head,
             "this is not a compact JWE: it has no '.' separators (a compact JWE is five "
             "base64url segments separated by four dots)");
        goto request;
    }

    /* 3. Parse: as a decoder should see it, then repaired. */
    ts.parse_text = ts.text;
    ts.parse_len = ts.len;
    rc = pay_jwe_parse(ts.text, ts.len, &ts.jwe, &ts.parse_err);
    if (rc == PAY_ERR_JWE_WHITESPACE || rc == PAY_ERR_JWE_BASE64) {
        pay_error first = ts.parse_err;
        rc = repair(&ts, r);
        if (rc != PAY_OK) goto out;
        ts.parse_text = ts.repaired;
        ts.parse_len = ts.repaired_len;
        rc = pay_jwe_parse(ts.repaired, ts.repaired_len, &ts.jwe, &ts.parse_err);
        if (rc != PAY_OK && ts.parse_err.code == first.code &&
            strcmp(ts.parse_err.message, first.message) != 0)
            ts.parse_err = first;
    }
    if (rc == PAY_ERR_NOMEM) goto out;
    if (rc != PAY_OK) {
        const char *fix = parse_fix(ts.parse_err.code);
        ADD(r, rule_of(ts.parse_err.code), PAY_FINDING_ERROR, "%s", ts.parse_err.message);
        verdict = PAY_DOCTOR_MALFORMED;
        rc = PAY_OK;
        if (ts.parse_err.code == PAY_ERR_JWE_TAG_LENGTH) {
            const pay_finding *f9 = pay_jwe_report_rule(&r->inspect, 9);
            setf(head, sizeof head, "%s: %s", f9 ? f9->text : ts.parse_err.message,
                 r->inspect.seg[SEG_TAG].decoded_len < PAY_JWE_TAG_LEN
                     ? "send the whole 16-byte tag (22 base64url characters); a decoder "
                       "that accepts a shorter tag lets forgeries through (CVE-2023-37464)"
                     : "drop the bytes after the 16-byte tag; a decoder must refuse them");
        } else if (fix) {
            setf(head, sizeof head, "%s: %s", ts.parse_err.message, fix);
        } else {
            setf(head, sizeof head, "%s", ts.parse_err.message);
        }
        explain_lengths(&ts, &ks, r);
        goto request;
    }
    r->parsed = true;
    {
        const pay_jwe *j = ts.jwe;
        memcpy(r->iv, pay_jwe_get_iv(j), PAY_JWE_IV_LEN);
        const char *nonce = pay_jwe_get_header(j, "nonce");
        if (nonce) {
            pay_strlcpy(r->nonce, nonce, sizeof r->nonce);
            if (!is_uuid(nonce)) {
                char q[QUOTE_BUF];
                ADD(r, 0, PAY_FINDING_NOTE,
                    "nonce \"%s\" is not a UUID; the API recommends a random UUID v4 per token",
                    quote(nonce, strlen(nonce), q));
            }
        }
    }

    /* 4. Decrypt. */
    if (!ks.loaded) {
        verdict = PAY_DOCTOR_BAD_KEY;
        explain_raw_key_text(&ts, &ks, r);
    } else {
        pay_error derr;
        memset(&derr, 0, sizeof derr);
        rc = pay_jwe_decrypt(ts.jwe, &ks.key, &pt, &pt_len, &derr);
        if (rc == PAY_ERR_NOMEM) goto out;
        if (rc == PAY_OK) {
            ADD(r, 10, PAY_FINDING_OK,
                "the tag verifies over the received header segment with this key");
            if (ts.token_repaired || ks.repaired) {
                verdict = PAY_DOCTOR_OPENS_REPAIRED;
                r->opened_after_repair = true;
            } else {
                r->opened = true;
            }
            r->plaintext_len = pt_len;
        } else if (rc == PAY_ERR_JWE_INFLATE) {
            ADD(r, 4, PAY_FINDING_ERROR, "%s", derr.message);
            verdict = PAY_DOCTOR_MALFORMED;
            setf(head, sizeof head, "the tag verifies, but %s: send the plaintext uncompressed",
                 derr.message);
        } else if (rc == PAY_ERR_JWE_KEY_SIZE) {
            /* Rule 7: an enc label that does not fit the 32-byte key. */
            char why[PAY_DIAG_SENTENCE_MAX];
            ADD(r, 7, PAY_FINDING_ERROR, "%s", derr.message);
            verdict = PAY_DOCTOR_MALFORMED;
            setf(head, sizeof head,
                 "%s: the payout API uses enc A256GCM with the 32-byte security key; the "
                 "producer labelled the token with another enc",
                 derr.message);
            r->diag_cause = pay_jwe_diagnose(ts.jwe, &ks.key, opts->candidates, opts->ncandidates,
                                             why, sizeof why);
            if (r->diag_cause != PAY_DIAG_UNEXPLAINED && r->diag_cause != PAY_DIAG_OPENS)
                ADD(r, 7, PAY_FINDING_NOTE, "%s", why);
            rc = PAY_OK;
        } else {
            ADD(r, 11, PAY_FINDING_ERROR, "authentication tag mismatch: no plaintext was released");
            char why[PAY_DIAG_SENTENCE_MAX];
            if (explain_header_aad(&ts, &ks, r)) {
                verdict = PAY_DOCTOR_EXPLAINED;
                setf(head, sizeof head,
                     "authentication tag mismatch — the tag verifies only over the header "
                     "segment as sent (padded or standard base64): the producer must encode "
                     "segment 1 as unpadded base64url and authenticate exactly those bytes");
            } else {
                r->diag_cause = pay_jwe_diagnose(ts.jwe, &ks.key, opts->candidates,
                                                 opts->ncandidates, why, sizeof why);
                if (r->diag_cause == PAY_DIAG_OPENS) { /* cannot happen: decrypt failed */
                    r->diag_cause = PAY_DIAG_UNEXPLAINED;
                }
                if (r->diag_cause != PAY_DIAG_UNEXPLAINED) {
                    verdict = PAY_DOCTOR_EXPLAINED;
                    ADD(r, 10, PAY_FINDING_ERROR, "%s", why);
                    setf(head, sizeof head, "authentication tag mismatch — %s", why);
                } else {
                    verdict = PAY_DOCTOR_WRONG_KEY;
                    ADD(r, 0, PAY_FINDING_ERROR,
                        "no known mistake explains it (key as ASCII, hashed or base64-decoded; "
                        "empty, decoded or re-serialized AAD; another enc were all tried)");
                    setf(head, sizeof head,
                         "authentication tag mismatch: the key is simply not the one that "
                         "sealed the token — check that the security key belongs to the same "
                         "merchant and test/live environment as the secret key, and that the "
                         "token was not altered on the way");
                }
            }
            rc = PAY_OK;
        }
    }

    /* 5. What opened. Header details the inspection flagged come first
     * (a missing iat or nonce: the API requires both, spec §3.4). */
    for (size_t i = 0; i < r->inspect.nfindings; i++)
        if (r->inspect.findings[i].rule == 0 && r->inspect.findings[i].level >= PAY_FINDING_WARNING)
            ADD(r, 0, r->inspect.findings[i].level, "%s", r->inspect.findings[i].text);
    if (pt || r->opened || r->opened_after_repair)
        pay_jwe_plaintext_check(pt, pt_len, expect, r->findings, PAY_DOCTOR_FINDINGS_MAX,
                                &r->nfindings);
    check_iat(&r->inspect, pay_jwe_get_header(ts.jwe, "iat"), opts, r);

request:
    /* 6. The captured request. */
    req_error = req.present ? check_request(&req, r) : NULL;
    if (req_error && (verdict == PAY_DOCTOR_OPENS || verdict == PAY_DOCTOR_NOT_JWE ||
                      verdict == PAY_DOCTOR_OPENS_REPAIRED)) {
        verdict = PAY_DOCTOR_REQUEST_MISMATCH;
        pay_strlcpy(head, req_error->text, sizeof head);
    }

    /* The verdict's sentence. A key that cannot be loaded outranks what
     * the token would do with it, but not a token that cannot be parsed. */
    if (verdict != PAY_DOCTOR_MALFORMED && verdict != PAY_DOCTOR_NOT_JWE &&
        verdict != PAY_DOCTOR_REQUEST_MISMATCH && !ks.loaded) {
        verdict = PAY_DOCTOR_BAD_KEY;
        setf(head, sizeof head,
             "%s: a security key is exactly 64 hex characters (0-9, a-f), hex-decoded to 32 "
             "bytes; copy it again from the developer center",
             ks.error);
    }
    if (verdict == PAY_DOCTOR_OPENS_REPAIRED) {
        if (ks.repaired && !ts.token_repaired) {
            setf(head, sizeof head,
                 "key has %zu characters (%s): remove it — with the 64 hex characters the "
                 "token opens",
                 ks.text_len, ks.repair);
        } else {
            const pay_finding *f = NULL;
            for (size_t i = token_findings_from; i < r->nfindings && !f; i++)
                if (r->findings[i].level == PAY_FINDING_ERROR) f = &r->findings[i];
            setf(head, sizeof head, "the token opens only after a repair: %s%s",
                 f ? f->text : "its text was repaired",
                 ks.repaired ? "; the key needed one too" : "");
        }
    } else if (verdict == PAY_DOCTOR_OPENS) {
        const pay_finding *f = first_at_least(r, PAY_FINDING_WARNING, 0);
        if (f)
            setf(head, sizeof head, "the token opens with this key, but %s", f->text);
        else
            setf(head, sizeof head, "the token opens with this key; no problem found%s",
                 ts.trim_front || ts.trim_back
                     ? " (surrounding whitespace was stripped, as a decoder should)"
                     : "");
    }
    r->verdict = verdict;
    pay_strlcpy(r->headline, head, sizeof r->headline);
    sanitize(r->headline);
    rc = PAY_OK;
out:
    if (pt) pay_jwe_plaintext_free(pt, pt_len);
    pay_jwe_free(ts.jwe);
    free(ts.repaired);
    free(ts.unwrapped);
    pay_key_wipe(&ks.key);
    if (rc != PAY_OK) {
        r->verdict = PAY_DOCTOR_NOT_JWE;
        setf(r->headline, sizeof r->headline, "the diagnosis failed: %s", pay_strerror(rc));
    }
    return rc;
}

/* ---- several tokens -------------------------------------------------------- */

/* "5f0c2a9e-…" as the case texts write a nonce. */
static void abbreviate(const char *s, char *out, size_t cap)
{
    if (strlen(s) <= 12)
        setf(out, cap, "%s", s);
    else
        setf(out, cap, "%.9s\xe2\x80\xa6", s);
}

/* "#1 and #2", "#1, #3 and #4" */
static void list_tokens(const size_t *idx, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && o < cap; i++) {
        int w = snprintf(out + o, cap - o, "%s#%zu",
                         i == 0       ? ""
                         : i + 1 == n ? " and "
                                      : ", ",
                         idx[i] + 1);
        if (w < 0) break;
        o += (size_t)w;
    }
}

pay_err pay_jwe_doctor_many(const pay_doctor_token *tokens, size_t n, const char *key_text,
                            size_t key_text_len, const pay_doctor_opts *opts,
                            pay_doctor_report *reports, pay_doctor_summary *s)
{
    if (!tokens || !reports || !s || n == 0 || n > PAY_DOCTOR_TOKENS_MAX)
        return PAY_ERR_INVALID_ARG;
    memset(s, 0, sizeof *s);
    s->ntokens = n;
    for (size_t i = 0; i < n; i++) {
        pay_err rc = pay_jwe_doctor(tokens[i].text, tokens[i].len, key_text, key_text_len, opts,
                                    &reports[i]);
        if (rc != PAY_OK) return rc;
        for (size_t k = 0; k < reports[i].nfindings; k++)
            reports[i].findings[k].token = (int)(i + 1);
        if (reports[i].opened || reports[i].opened_after_repair) s->nopened++;
    }
    size_t idx[PAY_DOCTOR_TOKENS_MAX];
    char list[PAY_FINDING_TEXT_MAX / 2];
    bool done[PAY_DOCTOR_TOKENS_MAX] = {false};
    /* C19 first: one IV under one key is the graver fault. */
    for (size_t i = 0; i < n; i++) {
        if (done[i] || !reports[i].parsed) continue;
        size_t m = 0, opened = 0;
        for (size_t k = i; k < n; k++) {
            if (!reports[k].parsed || memcmp(reports[k].iv, reports[i].iv, PAY_JWE_IV_LEN) != 0)
                continue;
            done[k] = true;
            idx[m++] = k;
            if (reports[k].opened || reports[k].opened_after_repair) opened++;
        }
        if (m < 2) continue;
        char hex[2 * PAY_JWE_IV_LEN + 1];
        pay_hex_encode(reports[i].iv, PAY_JWE_IV_LEN, hex);
        list_tokens(idx, m, list, sizeof list);
        if (opened == m) {
            s->iv_reused = true;
            addf(s->findings, PAY_DOCTOR_FINDINGS_MAX, &s->nfindings, 8, PAY_FINDING_ERROR,
                 "IV reused — confidentiality and integrity of both messages are lost; rotate "
                 "the security key (tokens %s share IV %s under this key; every token needs a "
                 "fresh random 12-byte IV)",
                 list, hex);
        } else {
            addf(s->findings, PAY_DOCTOR_FINDINGS_MAX, &s->nfindings, 8, PAY_FINDING_WARNING,
                 "tokens %s share IV %s; they do not all open with this key, but if one key "
                 "sealed them, confidentiality and integrity are lost — rotate that key",
                 list, hex);
        }
    }
    memset(done, 0, sizeof done);
    for (size_t i = 0; i < n; i++) {
        if (done[i] || !reports[i].nonce[0]) continue;
        size_t m = 0;
        for (size_t k = i; k < n; k++)
            if (strcmp(reports[k].nonce, reports[i].nonce) == 0) {
                done[k] = true;
                idx[m++] = k;
            }
        if (m < 2) continue;
        char ab[32];
        abbreviate(reports[i].nonce, ab, sizeof ab);
        list_tokens(idx, m, list, sizeof list);
        s->nonce_reused = true;
        addf(s->findings, PAY_DOCTOR_FINDINGS_MAX, &s->nfindings, 0, PAY_FINDING_ERROR,
             "nonce %s used in %zu tokens (%s): the server's replay cache refuses every one "
             "after the first; generate a fresh UUID v4 nonce for every encryption, retries "
             "included",
             ab, m, list);
    }
    if (s->nfindings) {
        setf(s->headline, sizeof s->headline, "%s", s->findings[0].text);
        return PAY_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (reports[i].verdict != PAY_DOCTOR_OPENS) {
            setf(s->headline, sizeof s->headline, "token #%zu: %s", i + 1, reports[i].headline);
            return PAY_OK;
        }
    setf(s->headline, sizeof s->headline,
         "all %zu tokens open with this key; no nonce or IV is repeated", n);
    return PAY_OK;
}
