/*
 * pay_jwe_inspect (payout/doctor.h): a keyless, lenient read of a compact
 * JWE that reports instead of refusing.
 *
 * pay_jwe_parse (jwe.c) stops at the first broken rule; this reads on. It
 * skips whitespace (and says where it was), splits on every '.', decodes
 * padded and standard-alphabet base64 too (recording that it was not strict
 * base64url), lists the header's members in the order they were sent, and
 * writes one finding per rule of jwe-rules.md. The verdicts mirror
 * pay_jwe_parse's: a token this file calls clean, the parser accepts.
 *
 * Memory: nothing is allocated here except jansson's objects for the
 * (at most PAY_JWE_HEADER_MAX-byte) header; the token is read in place and
 * only segment 1 is decoded, into the report itself.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/text.h"
#include "common/timeutil.h"
#include "payout/doctor.h"

enum { SEG_HEADER = 0, SEG_KEY = 1, SEG_IV = 2, SEG_CT = 3, SEG_TAG = 4, RULES = 12 };

/* Same nesting limit as pay_jwe_parse (jwe.c HEADER_DEPTH_MAX). */
#define HEADER_DEPTH_MAX 8
/* Longest value quoted back in a sentence. */
#define QUOTE_MAX 40
#define QUOTE_BUF (QUOTE_MAX + 8)
/* Whitespace bytes named one by one in "removed 2 trailing bytes (CR LF)". */
#define WS_NAMED_MAX 6

static const char *const seg_names[PAY_JWE_SEGMENT_COUNT] = {
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

/* ---- small text helpers ---------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t cap, len;
} sbuf;

__attribute__((format(printf, 2, 3))) static void sb_add(sbuf *b, const char *fmt, ...)
{
    if (b->len + 1 >= b->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    b->len += (size_t)n;
    if (b->len >= b->cap) b->len = b->cap - 1;
}

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *ws_name(unsigned char c)
{
    switch (c) {
    case ' ':
        return "space";
    case '\t':
        return "TAB";
    case '\r':
        return "CR";
    default:
        return "LF";
    }
}

/* Copies s into out for a sentence: at most QUOTE_MAX bytes, cut on a UTF-8
 * boundary, control bytes shown as '?'. */
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

/* Copies at most cap-1 bytes, control bytes as '?', "..." when cut. */
static void copy_cut(char *out, size_t cap, const char *s, size_t n)
{
    size_t k = n < cap ? n : cap - 4;
    if (n >= cap)
        while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
            k--;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
    }
    if (k < n)
        memcpy(out + k, "...", 4);
    else
        out[k] = 0;
}

/* Sentences quote bytes from the token (jansson's error text does too):
 * control bytes become '?', and so does every non-ASCII byte when the
 * sentence is not valid UTF-8, so printing one cannot drive a terminal. */
static void sanitize(char *s)
{
    size_t n = strlen(s);
    bool utf8 = pay_utf8_valid(s, n, NULL);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || (!utf8 && c >= 0x80)) s[i] = '?';
    }
}

static void set_finding(pay_finding *f, unsigned rule, pay_finding_level level, const char *text)
{
    f->rule = rule;
    f->level = level;
    f->ok = level <= PAY_FINDING_NOTE;
    f->token = 0;
    pay_strlcpy(f->text, text, sizeof f->text);
    sanitize(f->text);
}

__attribute__((format(printf, 4, 5))) static void
add_detail(pay_jwe_report *r, unsigned rule, pay_finding_level level, const char *fmt, ...)
{
    if (r->nfindings >= PAY_INSPECT_FINDINGS_MAX) return;
    pay_finding *f = &r->findings[r->nfindings++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->text, sizeof f->text, fmt, ap);
    va_end(ap);
    sanitize(f->text);
    f->rule = rule;
    f->level = level;
    f->ok = level <= PAY_FINDING_NOTE;
    f->token = 0;
}

const char *pay_finding_level_name(pay_finding_level level)
{
    switch (level) {
    case PAY_FINDING_OK:
        return "ok";
    case PAY_FINDING_NOTE:
        return "note";
    case PAY_FINDING_WARNING:
        return "warning";
    case PAY_FINDING_ERROR:
        return "error";
    }
    return "?";
}

/* ---- base64, leniently ----------------------------------------------------- */

/* 0..63 in either alphabet; -1 otherwise. */
static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-' || c == '+') return 62;
    if (c == '_' || c == '/') return 63;
    return -1;
}

typedef struct seg_scan {
    size_t data, pad;    /* alphabet characters, '=' characters */
    bool data_after_pad; /* '=' in the middle */
    bool bad;            /* a character outside both alphabets */
    size_t bad_off;      /* its offset in the input */
    unsigned char bad_char;
    int last; /* value of the last data character */
} seg_scan;

static void scan_char(seg_scan *s, pay_jwe_segment_info *info, unsigned char c, size_t off)
{
    int v = b64val(c);
    if (c == '=') {
        s->pad++;
        return;
    }
    if (v < 0) {
        if (!s->bad) {
            s->bad = true;
            s->bad_off = off;
            s->bad_char = c;
        }
        return;
    }
    if (s->pad) s->data_after_pad = true;
    if (c == '+' || c == '/') info->std_alphabet = true;
    s->data++;
    s->last = v;
}

static void finish_scan(const seg_scan *s, pay_jwe_segment_info *info)
{
    size_t rem = s->data % 4;
    info->padded = s->pad > 0;
    info->decodable = !s->bad && !s->data_after_pad && rem != 1 && s->pad <= 2;
    if (info->decodable) {
        info->decoded_len = s->data / 4 * 3 + (rem == 2 ? 1 : rem == 3 ? 2 : 0);
        info->trailing_bits = (rem == 2 && (s->last & 0x0f)) || (rem == 3 && (s->last & 0x03));
    }
    info->strict = info->decodable && !info->padded && !info->std_alphabet && !info->trailing_bits;
}

/* Decodes segment 1 (whitespace and padding skipped, both alphabets) into
 * out, which holds at least info->decoded_len + 1 bytes. */
static void decode_header(const char *t, size_t start, size_t end, char *out, size_t decoded_len)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = start; i < end && o < decoded_len; i++) {
        int v = b64val((unsigned char)t[i]);
        if (v < 0) continue; /* whitespace, '=' */
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)(acc >> bits & 0xff);
        }
    }
    out[o] = 0;
}

/* ---- header JSON ----------------------------------------------------------- */

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

static size_t skip_json_ws(const char *s, size_t n, size_t i)
{
    while (i < n && is_ws((unsigned char)s[i]))
        i++;
    return i;
}

/* At a '"': moves past the closing quote. False when unterminated. */
static bool skip_string(const char *s, size_t n, size_t *i)
{
    for (size_t k = *i + 1; k < n; k++) {
        if (s[k] == '\\')
            k++;
        else if (s[k] == '"') {
            *i = k + 1;
            return true;
        }
    }
    return false;
}

/* Moves past one JSON value without judging it (jansson judges). */
static bool skip_value(const char *s, size_t n, size_t *i)
{
    size_t k = *i;
    if (k >= n) return false;
    if (s[k] == '"') return skip_string(s, n, i);
    if (s[k] == '{' || s[k] == '[') {
        size_t depth = 0;
        while (k < n) {
            char c = s[k];
            if (c == '"') {
                if (!skip_string(s, n, &k)) return false;
                continue;
            }
            if (c == '{' || c == '[') depth++;
            if (c == '}' || c == ']') {
                if (--depth == 0) {
                    *i = k + 1;
                    return true;
                }
            }
            k++;
        }
        return false;
    }
    while (k < n && !is_ws((unsigned char)s[k]) && s[k] != ',' && s[k] != '}' && s[k] != ']')
        k++;
    if (k == *i) return false;
    *i = k;
    return true;
}

/* Lists the top-level members in the order sent, duplicates included. */
static void scan_members(pay_jwe_report *r, const char *s, size_t n)
{
    size_t i = skip_json_ws(s, n, 0);
    if (i >= n || s[i] != '{') return;
    i++;
    for (;;) {
        i = skip_json_ws(s, n, i);
        if (i >= n || s[i] != '"') return;
        size_t name_start = i + 1;
        if (!skip_string(s, n, &i)) return;
        size_t name_len = i - 1 - name_start;
        i = skip_json_ws(s, n, i);
        if (i >= n || s[i] != ':') return;
        i = skip_json_ws(s, n, i + 1);
        size_t value_start = i;
        if (!skip_value(s, n, &i)) return;
        if (r->member_count < PAY_INSPECT_MEMBERS_MAX) {
            pay_jwe_member *m = &r->members[r->member_count];
            copy_cut(m->name, sizeof m->name, s + name_start, name_len);
            copy_cut(m->value, sizeof m->value, s + value_start, i - value_start);
            m->is_string = s[value_start] == '"';
        }
        r->member_count++;
        i = skip_json_ws(s, n, i);
        if (i < n && s[i] == ',') {
            i++;
            continue;
        }
        return;
    }
}

/* ---- time ------------------------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* yyyy-MM-ddTHH:mm:ss[.frac]<suffix> for unix_us shifted by offset_s. */
static void format_time(int64_t unix_us, int64_t offset_s, const char *frac, size_t frac_len,
                        const char *suffix, char *out, size_t cap)
{
    int64_t secs = floor_div(unix_us, PAY_US_PER_SEC) + offset_s;
    int64_t days = floor_div(secs, 86400), rem = secs - days * 86400;
    int y, m, d;
    pay_civil_from_days((int32_t)days, &y, &m, &d);
    setf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d%s%.*s%s", y, m, d, (int)(rem / 3600),
         (int)(rem / 60 % 60), (int)(rem % 60), frac_len ? "." : "", (int)frac_len, frac, suffix);
}

static void read_iat(pay_jwe_report *r, const char *iat)
{
    size_t n = strlen(iat);
    r->has_iat = true;
    if (pay_parse_iat(iat, n, &r->iat_unix_us, NULL) != PAY_OK) return;
    r->iat_valid = true;
    /* Keep every fractional digit sent (Toss sends nanoseconds, case C02):
     * pay_parse_iat keeps microseconds, the text keeps the rest. */
    const char *frac = "";
    size_t frac_len = 0;
    if (n > 20 && iat[16] == ':' && iat[19] == '.') {
        frac = iat + 20;
        while (frac_len < 9 && frac[frac_len] >= '0' && frac[frac_len] <= '9')
            frac_len++;
    }
    format_time(r->iat_unix_us, 0, frac, frac_len, "Z", r->iat_utc, sizeof r->iat_utc);
    format_time(r->iat_unix_us, 9 * 3600, frac, frac_len, "+09:00", r->iat_kst, sizeof r->iat_kst);
}

static void format_duration(uint64_t us, char *out, size_t cap)
{
    uint64_t s = us / 1000000u;
    if (s < 120)
        setf(out, cap, "%llu s", (unsigned long long)s);
    else if (s < 2 * 3600)
        setf(out, cap, "%llu min", (unsigned long long)(s / 60));
    else if (s < 48 * 3600 && (s % 3600) / 60)
        setf(out, cap, "%llu h %llu min", (unsigned long long)(s / 3600),
             (unsigned long long)(s % 3600 / 60));
    else if (s < 48 * 3600)
        setf(out, cap, "%llu h", (unsigned long long)(s / 3600));
    else
        setf(out, cap, "%llu days", (unsigned long long)(s / 86400));
}

void pay_jwe_report_iat_age(const pay_jwe_report *r, int64_t now_unix_us, char *out, size_t cap)
{
    if (!out || !cap) return;
    out[0] = 0;
    if (!r || !r->iat_valid) return;
    int64_t delta = r->iat_unix_us - now_unix_us;
    char d[32];
    if (delta > -PAY_US_PER_SEC && delta < PAY_US_PER_SEC) {
        setf(out, cap, "within 1 s of now");
        return;
    }
    format_duration(delta < 0 ? (uint64_t)0 - (uint64_t)delta : (uint64_t)delta, d, sizeof d);
    setf(out, cap, "%s %s", d, delta > 0 ? "ahead of now" : "old");
}

/* ---- whitespace ------------------------------------------------------------ */

/* "2 leading spaces", "1 trailing LF", "2 trailing bytes (CR LF)". */
static void describe_run(sbuf *b, const char *t, size_t n, const char *where)
{
    bool same = true;
    for (size_t i = 1; i < n; i++)
        if (t[i] != t[0]) same = false;
    if (same) {
        sb_add(b, "%zu %s %s%s", n, where, ws_name((unsigned char)t[0]), n > 1 ? "s" : "");
        return;
    }
    sb_add(b, "%zu %s bytes (", n, where);
    for (size_t i = 0; i < n && i < WS_NAMED_MAX; i++)
        sb_add(b, "%s%s", i ? " " : "", ws_name((unsigned char)t[i]));
    sb_add(b, "%s)", n > WS_NAMED_MAX ? " ..." : "");
}

/* ---- the read -------------------------------------------------------------- */

typedef struct header_facts {
    json_t *h; /* the object (last member wins when names repeat) */
    bool utf8, json, dup, deep, trailing, array;
    char dup_name[PAY_MEMBER_NAME_MAX];
    char json_error[160];
} header_facts;

static void load_header(pay_jwe_report *r, header_facts *hf)
{
    const char *s = r->header_json;
    size_t n = r->header_json_len;
    json_error_t jerr;
    hf->utf8 = pay_utf8_valid(s, n, NULL);
    scan_members(r, s, n);
    if (!hf->utf8 || n == 0) return;
    if (json_depth(s, n) > HEADER_DEPTH_MAX) {
        hf->deep = true;
        return;
    }
    json_t *h = json_loadb(s, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!h && json_error_code(&jerr) == json_error_duplicate_key) {
        hf->dup = true;
        size_t m =
            r->member_count < PAY_INSPECT_MEMBERS_MAX ? r->member_count : PAY_INSPECT_MEMBERS_MAX;
        for (size_t i = 0; i < m && !hf->dup_name[0]; i++)
            for (size_t k = i + 1; k < m; k++)
                if (strcmp(r->members[i].name, r->members[k].name) == 0) {
                    pay_strlcpy(hf->dup_name, r->members[i].name, sizeof hf->dup_name);
                    break;
                }
        h = json_loadb(s, n, 0, &jerr);
    }
    if (!h) {
        if (json_error_code(&jerr) == json_error_end_of_input_expected) hf->trailing = true;
        setf(hf->json_error, sizeof hf->json_error, "%s (byte %zu of the decoded header)",
             jerr.text, (size_t)jerr.position);
        return;
    }
    hf->json = true;
    if (!json_is_object(h)) {
        hf->array = json_is_array(h);
        json_decref(h);
        return;
    }
    hf->h = h;
}

static const char *enc_allowed(const char *e)
{
    static const char *const allowed[] = {"A128GCM", "A192GCM", "A256GCM"};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(e, allowed[i]) == 0) return allowed[i];
    return NULL;
}

static int enc_key_bytes(const char *e)
{
    if (!e) return 0;
    if (strcmp(e, "A128GCM") == 0) return 16;
    if (strcmp(e, "A192GCM") == 0) return 24;
    return strcmp(e, "A256GCM") == 0 ? 32 : 0;
}

/* Rule 3's verdict on alg and enc; returns the enc name when allowed. */
static const char *check_alg_enc(const header_facts *hf, sbuf *why)
{
    char q[QUOTE_BUF];
    json_t *alg = json_object_get(hf->h, "alg"), *enc = json_object_get(hf->h, "enc");
    const char *enc_ok = NULL;
    if (!alg)
        sb_add(why, "no \"alg\" member; ");
    else if (!json_is_string(alg))
        sb_add(why, "alg must be the string \"dir\"; ");
    else if (strcmp(json_string_value(alg), "dir") != 0)
        sb_add(why, "alg \"%s\" is not supported (only \"dir\"); ",
               quote(json_string_value(alg), json_string_length(alg), q));
    if (!enc)
        sb_add(why, "no \"enc\" member; ");
    else if (!json_is_string(enc))
        sb_add(why, "enc must be a string (A128GCM, A192GCM or A256GCM); ");
    else if (!(enc_ok = enc_allowed(json_string_value(enc))))
        sb_add(why, "enc \"%s\" is not supported (only A128GCM, A192GCM, A256GCM); ",
               quote(json_string_value(enc), json_string_length(enc), q));
    if (why->len >= 2 && why->p[why->len - 2] == ';') why->p[why->len -= 2] = 0;
    return enc_ok;
}

static void rule(pay_jwe_report *r, unsigned k, pay_finding_level level, const char *text)
{
    set_finding(&r->findings[k - 1], k, level, text);
}

static void too_long_report(pay_jwe_report *r)
{
    char text[PAY_FINDING_TEXT_MAX];
    for (unsigned k = 1; k < RULES; k++)
        rule(r, k, PAY_FINDING_NOTE, "not read: the input is over the length cap (rule 12)");
    setf(text, sizeof text, "token is %zu characters; the limit is %d (1 MiB)", r->input_len,
         PAY_JWE_TOKEN_MAX);
    rule(r, RULES, PAY_FINDING_ERROR, text);
    r->nfindings = RULES;
}

pay_err pay_jwe_inspect(const char *token, size_t len, pay_jwe_report *out)
{
    if (!out || (!token && len)) return PAY_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    pay_jwe_report *r = out;
    r->input_len = len;
    r->nfindings = RULES; /* slots 0..11 are rules 1..12, details follow */
    if (len > PAY_JWE_TOKEN_MAX) {
        r->too_long = true;
        too_long_report(r);
        return PAY_OK;
    }

    /* Whitespace: leading, trailing, inner. */
    size_t lead = 0, trail = 0;
    while (lead < len && is_ws((unsigned char)token[lead]))
        lead++;
    while (trail < len - lead && is_ws((unsigned char)token[len - 1 - trail]))
        trail++;
    r->ws_leading = lead;
    r->ws_trailing = trail;
    size_t dots_before_ws = 0, dots = 0;
    unsigned char first_inner = 0;
    for (size_t i = lead; i < len - trail; i++) {
        unsigned char c = (unsigned char)token[i];
        if (c == '.') dots++;
        if (is_ws(c)) {
            if (!r->ws_inner) {
                r->ws_first_inner_offset = i;
                first_inner = c;
                dots_before_ws = dots;
            }
            r->ws_inner++;
        }
    }
    sbuf ws = {r->whitespace, sizeof r->whitespace, 0};
    if (lead || trail || r->ws_inner) sb_add(&ws, "removed ");
    if (lead) describe_run(&ws, token, lead, "leading");
    if (r->ws_inner) {
        size_t k = dots_before_ws;
        const char *seg = k < PAY_JWE_SEGMENT_COUNT ? seg_names[k] : "extra segment";
        if (lead) sb_add(&ws, ", ");
        if (r->ws_inner == 1)
            sb_add(&ws, "1 %s (0x%02X) inside the token at offset %zu (segment %zu, %s)",
                   ws_name(first_inner), first_inner, r->ws_first_inner_offset, k + 1, seg);
        else
            sb_add(&ws,
                   "%zu whitespace bytes inside the token, the first (0x%02X) at offset %zu "
                   "(segment %zu, %s)",
                   r->ws_inner, first_inner, r->ws_first_inner_offset, k + 1, seg);
    }
    if (trail) {
        if (lead || r->ws_inner) sb_add(&ws, ", ");
        describe_run(&ws, token + len - trail, trail, "trailing");
    }
    r->token_len = len - lead - trail - r->ws_inner;

    /* Segments. */
    seg_scan scans[PAY_JWE_SEGMENT_COUNT];
    size_t seg_end[PAY_JWE_SEGMENT_COUNT] = {0};
    memset(scans, 0, sizeof scans);
    size_t k = 0;
    r->segment_count = 1; /* an empty text is one empty segment */
    r->seg[0].offset = lead;
    for (size_t i = lead; i < len - trail; i++) {
        unsigned char c = (unsigned char)token[i];
        if (is_ws(c)) continue;
        if (c == '.') {
            if (k < PAY_JWE_SEGMENT_COUNT) seg_end[k] = i;
            k++;
            r->segment_count++;
            if (k < PAY_JWE_SEGMENT_COUNT) r->seg[k].offset = i + 1;
            continue;
        }
        if (k < PAY_JWE_SEGMENT_COUNT) {
            r->seg[k].text_len++;
            scan_char(&scans[k], &r->seg[k], c, i);
        }
    }
    if (k < PAY_JWE_SEGMENT_COUNT) seg_end[k] = len - trail;
    size_t nseg =
        r->segment_count < PAY_JWE_SEGMENT_COUNT ? r->segment_count : PAY_JWE_SEGMENT_COUNT;
    for (size_t s = 0; s < nseg; s++)
        finish_scan(&scans[s], &r->seg[s]);

    char text[PAY_FINDING_TEXT_MAX];
    sbuf b = {text, sizeof text, 0};

    /* Rule 1. */
    if (r->segment_count == 5 && !lead && !trail && !r->ws_inner) {
        rule(r, 1, PAY_FINDING_OK, "5 segments, no whitespace");
    } else {
        if (r->segment_count != 5)
            sb_add(&b, "%zu segment%s; a compact JWE has exactly 5 (4 dots)%s", r->segment_count,
                   r->segment_count == 1 ? "" : "s", r->ws_inner || lead || trail ? "; " : "");
        if (lead || trail || r->ws_inner)
            sb_add(&b, "whitespace is not part of a compact JWE (%s)", r->whitespace);
        rule(r, 1, PAY_FINDING_ERROR, text);
    }

    /* Rule 2. */
    b.len = 0;
    text[0] = 0;
    for (size_t s = 0; s < nseg; s++) {
        const pay_jwe_segment_info *g = &r->seg[s];
        const seg_scan *sc = &scans[s];
        if (g->strict) continue;
        sb_add(&b, "%ssegment %zu (%s) ", b.len ? "; " : "", s + 1, seg_names[s]);
        if (sc->bad) {
            if (sc->bad_char > 0x20 && sc->bad_char < 0x7f)
                sb_add(&b, "has invalid character 0x%02X ('%c') at offset %zu", sc->bad_char,
                       (char)sc->bad_char, sc->bad_off);
            else
                sb_add(&b, "has invalid character 0x%02X at offset %zu", sc->bad_char, sc->bad_off);
        } else if (sc->data_after_pad) {
            sb_add(&b, "has '=' before its end");
        } else if (sc->data % 4 == 1) {
            sb_add(&b, "has %zu characters, an impossible base64url length", sc->data);
        } else if (sc->pad > 2) {
            sb_add(&b, "ends in %zu '=' characters", sc->pad);
        } else {
            const char *sep = "";
            if (g->padded) {
                sb_add(&b, "is padded with '='");
                sep = ", ";
            }
            if (g->std_alphabet) {
                sb_add(&b, "%suses the standard base64 alphabet ('+' '/')", sep);
                sep = ", ";
            }
            if (g->trailing_bits)
                sb_add(&b, "%shas non-zero unused bits in its last character", sep);
        }
    }
    if (!b.len)
        rule(r, 2, PAY_FINDING_OK, nseg ? "every segment is strict base64url" : "no segments");
    else
        rule(r, 2, PAY_FINDING_ERROR, text);

    /* Header: rules 3, 4, 5. */
    header_facts hf;
    memset(&hf, 0, sizeof hf);
    const pay_jwe_segment_info *h = &r->seg[SEG_HEADER];
    const char *enc = NULL;
    if (h->decodable && h->decoded_len > PAY_JWE_HEADER_MAX) {
        r->header_json_len = h->decoded_len;
        setf(text, sizeof text, "protected header is %zu bytes; the limit is %d", h->decoded_len,
             PAY_JWE_HEADER_MAX);
        rule(r, 3, PAY_FINDING_ERROR, text);
    } else if (!h->decodable) {
        rule(r, 3, PAY_FINDING_ERROR, "protected header cannot be decoded (see rule 2)");
    } else if (h->decoded_len == 0) {
        rule(r, 3, PAY_FINDING_ERROR, "protected header is empty");
    } else {
        decode_header(token, h->offset, seg_end[SEG_HEADER], r->header_json, h->decoded_len);
        r->header_decoded = true;
        r->header_json_len = h->decoded_len;
        load_header(r, &hf);
        b.len = 0;
        text[0] = 0;
        if (!hf.utf8)
            sb_add(&b, "protected header is not valid UTF-8");
        else if (hf.deep)
            sb_add(&b, "protected header nests deeper than %d levels", HEADER_DEPTH_MAX);
        else if (hf.trailing)
            sb_add(&b, "protected header has data after the JSON object: %s", hf.json_error);
        else if (!hf.json)
            sb_add(&b, "protected header is not valid JSON: %s", hf.json_error);
        else if (!hf.h)
            sb_add(&b, "protected header is a JSON %s, not an object",
                   hf.array ? "array" : "scalar");
        else
            enc = check_alg_enc(&hf, &b);
        if (b.len) {
            rule(r, 3, PAY_FINDING_ERROR, text);
        } else {
            r->header_is_object = true;
            setf(text, sizeof text, "header is a JSON object; alg \"dir\", enc \"%s\"", enc);
            rule(r, 3, PAY_FINDING_OK, text);
        }
    }
    if (hf.h) {
        char q[QUOTE_BUF];
        json_t *zip = json_object_get(hf.h, "zip");
        b.len = 0;
        text[0] = 0;
        if (json_object_get(hf.h, "crit"))
            sb_add(&b, "crit is present; payoutd understands no JWE extension, so it is refused");
        if (zip && !json_is_string(zip))
            sb_add(&b, "%szip must be the string \"DEF\"", b.len ? "; " : "");
        else if (zip && strcmp(json_string_value(zip), "DEF") != 0)
            sb_add(&b, "%szip \"%s\" is not supported (only DEF)", b.len ? "; " : "",
                   quote(json_string_value(zip), json_string_length(zip), q));
        if (b.len)
            rule(r, 4, PAY_FINDING_ERROR, text);
        else
            rule(r, 4, PAY_FINDING_OK,
                 zip ? "no crit; zip \"DEF\" (inflated with a 1 MiB cap)" : "no crit, no zip");
    } else {
        rule(r, 4, PAY_FINDING_NOTE, "not checked: the header is not a readable JSON object");
    }
    if (hf.dup) {
        if (hf.dup_name[0])
            setf(text, sizeof text,
                 "member \"%s\" appears more than once; RFC 7516 allows rejecting or taking "
                 "the last, and payoutd rejects",
                 hf.dup_name);
        else
            setf(text, sizeof text, "a member name appears more than once; payoutd rejects it");
        rule(r, 5, PAY_FINDING_ERROR, text);
    } else if (hf.h) {
        rule(r, 5, PAY_FINDING_OK, "no duplicate member names");
    } else {
        rule(r, 5, PAY_FINDING_NOTE, "not checked: the header is not a readable JSON object");
    }

    /* Rule 6. */
    if (r->segment_count < 2) {
        rule(r, 6, PAY_FINDING_ERROR, "no encrypted-key segment (too few segments)");
    } else if (r->seg[SEG_KEY].text_len) {
        setf(text, sizeof text,
             "encrypted-key segment has %zu characters; it must be empty for alg \"dir\" "
             "(the token has '..' after the header)",
             r->seg[SEG_KEY].text_len);
        rule(r, 6, PAY_FINDING_ERROR, text);
    } else {
        rule(r, 6, PAY_FINDING_OK, "encrypted-key segment is empty");
    }

    /* Rule 7. */
    int kb = enc_key_bytes(enc);
    if (kb)
        setf(text, sizeof text, "not checked without a key: enc %s needs a %d-byte key%s", enc, kb,
             kb == 32 ? " (the 64 hex characters of the security key, hex-decoded)" : "");
    else
        setf(text, sizeof text, "not checked without a key (and without a known enc)");
    rule(r, 7, PAY_FINDING_NOTE, text);

    /* Rules 8 and 9. */
    const char *enc_label = enc ? enc : "AES-GCM";
    if (r->segment_count <= SEG_IV) {
        rule(r, 8, PAY_FINDING_ERROR, "no IV segment (too few segments)");
    } else if (!r->seg[SEG_IV].decodable) {
        rule(r, 8, PAY_FINDING_ERROR, "IV segment cannot be decoded (see rule 2)");
    } else if (r->seg[SEG_IV].decoded_len != PAY_JWE_IV_LEN) {
        setf(text, sizeof text, "IV is %zu bytes; %s requires exactly %d",
             r->seg[SEG_IV].decoded_len, enc_label, PAY_JWE_IV_LEN);
        rule(r, 8, PAY_FINDING_ERROR, text);
    } else {
        rule(r, 8, PAY_FINDING_OK, "IV is 12 bytes");
    }
    if (r->segment_count <= SEG_TAG) {
        rule(r, 9, PAY_FINDING_ERROR, "no authentication-tag segment (too few segments)");
    } else if (!r->seg[SEG_TAG].decodable) {
        rule(r, 9, PAY_FINDING_ERROR, "tag segment cannot be decoded (see rule 2)");
    } else {
        size_t t = r->seg[SEG_TAG].decoded_len;
        if (t == PAY_JWE_TAG_LEN)
            setf(text, sizeof text, "tag is 16 bytes");
        else if (t == 0)
            setf(text, sizeof text, "tag is missing (0 bytes); it must be 16");
        else if (t < PAY_JWE_TAG_LEN)
            setf(text, sizeof text, "tag is %zu byte%s; a truncated tag — must be 16", t,
                 t == 1 ? "" : "s");
        else
            setf(text, sizeof text, "tag is %zu bytes; must be exactly 16 (%zu extra)", t,
                 t - PAY_JWE_TAG_LEN);
        rule(r, 9, t == PAY_JWE_TAG_LEN ? PAY_FINDING_OK : PAY_FINDING_ERROR, text);
    }

    /* Rules 10, 11: properties of a decryption, which needs the key. */
    setf(text, sizeof text,
         "the AAD must be the %zu characters of segment 1 exactly as received; only the key "
         "shows whether the producer authenticated those bytes%s",
         h->text_len,
         h->strict ? ""
                   : " (segment 1 is not strict base64url, so producers and receivers "
                     "that re-encode it disagree on them)");
    rule(r, 10, PAY_FINDING_NOTE, text);
    rule(r, 11, PAY_FINDING_NOTE,
         "nothing is decrypted without a key; a decryptor must release no plaintext before the "
         "tag verifies");

    /* Rule 12. */
    setf(text, sizeof text, "%zu characters, within the %d-character (1 MiB) cap", r->input_len,
         PAY_JWE_TOKEN_MAX);
    rule(r, 12, PAY_FINDING_OK, text);

    /* Details: members the API requires or does not know, iat. */
    if (hf.h) {
        static const char *const must[] = {"iat", "nonce"};
        static const char *const strings[] = {"typ", "cty", "kid", "iat", "nonce"};
        static const char *const known[] = {"alg",  "enc", "iat", "nonce", "zip",
                                            "crit", "kid", "typ", "cty"};
        for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
            json_t *v = json_object_get(hf.h, strings[i]);
            if (v && !json_is_string(v))
                add_detail(r, 0, PAY_FINDING_ERROR,
                           "header member \"%s\" must be a string; payoutd refuses the token",
                           strings[i]);
        }
        for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
            if (!json_object_get(hf.h, must[i]))
                add_detail(r, 0, PAY_FINDING_WARNING,
                           "header has no \"%s\": the API requires alg, enc, iat and nonce "
                           "(spec §3.4)",
                           must[i]);
        const char *name;
        json_t *v;
        json_object_foreach(hf.h, name, v)
        {
            bool is_known = false;
            for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
                if (strcmp(name, known[i]) == 0) is_known = true;
            if (!is_known) {
                char q[QUOTE_BUF];
                add_detail(r, 0, PAY_FINDING_NOTE,
                           "header member \"%s\" is not one the API uses (ignored)",
                           quote(name, strlen(name), q));
            }
        }
        json_t *iat = json_object_get(hf.h, "iat");
        if (json_is_string(iat)) {
            read_iat(r, json_string_value(iat));
            if (!r->iat_valid) {
                char q[QUOTE_BUF];
                add_detail(r, 0, PAY_FINDING_WARNING,
                           "iat \"%s\" is not yyyy-MM-ddTHH:mm[:ss[.fraction]] followed by "
                           "+hh:mm, -hh:mm or Z (spec §3.4); payoutd refuses it",
                           quote(json_string_value(iat), json_string_length(iat), q));
            }
        }
        json_decref(hf.h);
    }
    if (r->member_count > PAY_INSPECT_MEMBERS_MAX)
        add_detail(r, 0, PAY_FINDING_NOTE, "header has %zu members; the first %d are listed",
                   r->member_count, PAY_INSPECT_MEMBERS_MAX);
    return PAY_OK;
}

const pay_finding *pay_jwe_report_rule(const pay_jwe_report *r, unsigned k)
{
    if (!r) return NULL;
    for (size_t i = 0; i < r->nfindings && i < PAY_INSPECT_FINDINGS_MAX; i++)
        if (r->findings[i].rule == k) return &r->findings[i];
    return NULL;
}
