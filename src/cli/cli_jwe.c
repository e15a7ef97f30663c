/*
 * payoutctl jwe encrypt | decrypt | inspect | doctor — the API's JWE tokens
 * by hand (spec §3): seal a body, open an answer, look inside a token
 * without the key, and find out why one does not open.
 *
 * Built on the public libpayout API only (STYLE habit 12): payout/jwe.h for
 * sealing and opening, payout/doctor.h for inspection and diagnosis. Every
 * sentence about a token comes from the library; this file reads input,
 * chooses what to print and maps outcomes to exit codes (commands.h):
 *   0 ok; 2 usage or bad input: a malformed token (rules 1-6, 8, 9, 12) or
 *   non-UTF-8 plaintext; 4 a key that is no security key (as for every
 *   payoutctl command), a token that does not open (tag mismatch, key length
 *   for its enc) or, for inspect/doctor, breaks a rule or does not open as
 *   given. A tag mismatch and a format error thus never share an exit code.
 * Keys are never printed. Plaintext goes to stdout only from decrypt.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_common.h"
#include "commands.h"
#include "payout/doctor.h"
#include "payout/jwe.h"

#define KEY_ENV "PAYOUT_SECURITY_KEY"

static const char jwe_help[] =
    "Usage: payoutctl jwe <encrypt|decrypt|inspect|doctor> [options]\n"
    "The JWE tokens of ENCRYPTION mode (alg dir, enc A256GCM, spec §3).\n"
    "\n"
    "  encrypt   seal UTF-8 text from stdin into a compact JWE\n"
    "  decrypt   open a token and print its plaintext\n"
    "  inspect   read a token without the key: header, iat, segments, rules 1-12\n"
    "  doctor    why a token does not open, in one sentence with the fix\n"
    "\n"
    "The security key comes from --key HEX, --security-key(-file), or $" KEY_ENV ".\n"
    "Run payoutctl jwe <subcommand> --help for options and examples.\n";

static const char encrypt_help[] =
    "Usage: payoutctl jwe encrypt [--key HEX] [--iat T] [--nonce N] < plaintext\n"
    "Seals stdin (UTF-8 text, normally JSON) into a compact JWE, printed with a\n"
    "newline. The header is {\"alg\":\"dir\",\"enc\":\"A256GCM\",\"iat\",\"nonce\"}, the IV\n"
    "12 fresh random bytes. Input that is not valid UTF-8 is refused (case C20).\n"
    "\n"
    "Options:\n"
    "  --key HEX     the 64-hex-character security key (default: --security-key,\n"
    "                --security-key-file or $" KEY_ENV "; from a file or the\n"
    "                environment one trailing newline is removed, --verbose says so)\n"
    "  --iat T       iat header value (default: now, yyyy-MM-ddTHH:mm:ss+09:00)\n"
    "  --nonce N     nonce header value (default: a fresh UUID v4; never reuse one)\n"
    "\n"
    "Example:\n"
    "  echo '{\"refSellerId\":\"my-seller-0001\"}' | payoutctl jwe encrypt > token.txt\n"
    "Exit: 0 sealed, 2 bad option or input (not UTF-8), 4 unusable key.\n";

static const char decrypt_help[] =
    "Usage: payoutctl jwe decrypt [--key HEX] [--pretty] [--verbose] [TOKEN|-]\n"
    "Opens a compact JWE (argument, or stdin when absent or \"-\") and writes its\n"
    "plaintext bytes exactly, unchanged. Whitespace around the token (a newline from\n"
    "a file or terminal) is removed; --verbose says so (case C11).\n"
    "\n"
    "Options:\n"
    "  --key HEX     the security key (default: --security-key, --security-key-file\n"
    "                or $" KEY_ENV ")\n"
    "  --pretty      print JSON indented, with Korean and other text unescaped\n"
    "                (\"\\uae40\\ud1a0\\uc2a4\" and raw UTF-8 both show as 김토스)\n"
    "\n"
    "Example:\n"
    "  payoutctl jwe decrypt --pretty < answer.txt\n"
    "Exit: 0 opened; 2 malformed token (the message names the rule and offset);\n"
    "4 authentication tag mismatch (wrong key, or a producer mistake: run\n"
    "payoutctl jwe doctor to find out which) or an unusable key.\n";

static const char inspect_help[] =
    "Usage: payoutctl jwe inspect [--now T] [TOKEN|-]\n"
    "Reads a token without the key (argument, or stdin when absent or \"-\") and\n"
    "prints the header members in the order sent, iat in Korean time and UTC with\n"
    "its age, each segment's length, and whether each rule of docs/JWE.md holds.\n"
    "Never fails on garbage: it reports what it finds.\n"
    "\n"
    "Options:\n"
    "  --now T       the time to measure iat's age against (default: the clock),\n"
    "                e.g. 2025-06-26T18:42:46+09:00\n"
    "\n"
    "Example:\n"
    "  payoutctl jwe inspect \"$(cat answer.txt)\"\n"
    "Exit: 0 every rule holds, 4 a rule is violated, 2 usage.\n";

static const char doctor_help[] =
    "Usage: payoutctl jwe doctor [--key HEX] [--now T] [--request FILE]\n"
    "                            [--expect object|array] [--verbose] TOKEN [TOKEN...]\n"
    "Explains why a token does not open: prints one sentence with the fix first,\n"
    "then the findings behind it. It tries the repairs of the key text (newline,\n"
    "quotes) and the token text (whitespace, padding, '+' '/'), the known producer\n"
    "mistakes (key used as ASCII, hashed or base64-decoded; header not or re-\n"
    "serialized in the AAD; another enc; a 16-byte IV; a cut or padded tag) and,\n"
    "when it opens, checks the plaintext (UTF-8, CP949, JSON shape, encoded twice,\n"
    "trailing garbage) and iat against now. Several tokens are also compared for\n"
    "a reused nonce or IV.\n"
    "\n"
    "Options:\n"
    "  --key HEX       the security key exactly as you use it (default:\n"
    "                  --security-key, $" KEY_ENV " as set, or the first line of\n"
    "                  --security-key-file). It is diagnosed, not cleaned up first.\n"
    "  --now T         \"now\" for the iat checks (default: the clock)\n"
    "  --request FILE  a captured HTTP request (request line, headers, blank line,\n"
    "                  body): headers are checked against the body (case C15); with\n"
    "                  no TOKEN the body is the token\n"
    "  --expect KIND   the plaintext should be a JSON object or array (default: the\n"
    "                  request's path decides: POST /v2/payouts takes an array)\n"
    "  --verbose       also print every rule of docs/JWE.md for each token\n"
    "  TOKEN           a compact JWE, or \"-\" for stdin\n"
    "\n"
    "Examples:\n"
    "  payoutctl jwe doctor --key \"$PAYOUT_SECURITY_KEY\" \"$(cat token.txt)\"\n"
    "  payoutctl jwe doctor --now 2025-06-26T18:42:46+09:00 TOKEN1 TOKEN2\n"
    "  payoutctl jwe doctor --request captured.http\n"
    "Exit: 0 every token opens as given, no two share an IV or a nonce, and\n"
    "nothing in the request disagrees with it (warnings may still be printed);\n"
    "4 otherwise; 2 usage.\n";

/* ---- input ---------------------------------------------------------------------- */

/* A token from the argument or stdin; *buf owns stdin's copy. */
static int read_token(const char *arg, char **buf, const char **token, size_t *len)
{
    *buf = NULL;
    if (arg && strcmp(arg, "-") != 0) {
        *token = arg;
        *len = strlen(arg);
        return PAYCTL_OK;
    }
    int rc = payctl_read_file("-", buf, len);
    if (rc != PAYCTL_OK) return rc;
    *token = *buf;
    return PAYCTL_OK;
}

static bool parse_time(const char *what, const char *text, int64_t *us)
{
    pay_error e;
    if (pay_parse_iat(text, strlen(text), us, &e) == PAY_OK) return true;
    fprintf(stderr, "payoutctl: %s: %s\n", what, e.message);
    return false;
}

static int64_t now_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return 0;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The key for encrypt/decrypt: --key as given, else the global sources
 * (one trailing line ending removed from a file or the environment). */
static int load_key(const char *flag, pay_key *key)
{
    char *text = NULL;
    char source[512];
    int rc = payctl_load_secret("security key", flag ? flag : payctl_g.security_key,
                                payctl_g.security_key_file, KEY_ENV, &text, source, sizeof source);
    if (rc != PAYCTL_OK) return rc;
    if (!text) {
        fprintf(stderr, "payoutctl: no security key: use --key HEX, --security-key-file FILE or "
                        "set " KEY_ENV "\n");
        return PAYCTL_USAGE;
    }
    pay_error e;
    if (pay_key_from_hex(key, text, strlen(text), &e) != PAY_OK) {
        /* exit 4 "unreadable key", as every payoutctl command */
        fprintf(stderr, "payoutctl: security key from %s: %s\n", source, e.message);
        rc = PAYCTL_CRYPTO;
    }
    payctl_secret_free(text);
    return rc;
}

/* ---- encrypt -------------------------------------------------------------------- */

static int cmd_encrypt(int argc, char **argv)
{
    const char *key_flag = NULL, *iat = NULL, *nonce = NULL;
    const payctl_option opts[] = {
        {"--key", &key_flag, NULL, NULL, NULL, 0},
        {"--iat", &iat, NULL, NULL, NULL, 0},
        {"--nonce", &nonce, NULL, NULL, NULL, 0},
        {NULL, NULL, NULL, NULL, NULL, 0},
    };
    const char *pos[1];
    size_t npos = 0;
    int rc = payctl_parse_args("jwe encrypt", encrypt_help, opts, argc, argv, pos, 0, &npos);
    if (rc >= 0) return rc;
    int64_t ignored;
    if (iat && !parse_time("--iat", iat, &ignored)) return PAYCTL_USAGE;
    if (nonce && !nonce[0]) return payctl_usage("jwe encrypt ", "--nonce is empty");

    pay_key key;
    rc = load_key(key_flag, &key);
    if (rc != PAYCTL_OK) return rc;
    char *in = NULL, *token = NULL;
    size_t in_len = 0, token_len = 0;
    rc = payctl_read_file("-", &in, &in_len);
    if (rc != PAYCTL_OK) goto out;
    pay_jwe_seal_opts so;
    memset(&so, 0, sizeof so);
    so.iat = iat;
    so.nonce = nonce;
    pay_error e;
    pay_finding f[4];
    size_t nf = 0;
    if (pay_jwe_seal_ex(&key, &so, (const uint8_t *)in, in_len, &token, &token_len, &e) != PAY_OK) {
        /* Name the encoding when the input is not UTF-8 (CP949 from a
         * Korean Windows tool is the usual one). */
        if (e.code == PAY_ERR_JWE_PLAINTEXT &&
            pay_jwe_plaintext_check((const uint8_t *)in, in_len, PAY_EXPECT_ANY, f, 4, &nf) >=
                PAY_FINDING_WARNING &&
            nf && strstr(f[0].text, "UTF-8"))
            fprintf(stderr, "payoutctl: jwe encrypt: refused: %s\n", f[0].text);
        else
            fprintf(stderr, "payoutctl: jwe encrypt: %s\n", e.message);
        rc = e.code == PAY_ERR_JWE_PLAINTEXT || e.code == PAY_ERR_INVALID_ARG ? PAYCTL_USAGE
                                                                              : PAYCTL_CRYPTO;
        goto out;
    }
    /* Sealed as asked; still say when the text is no JSON the API takes. */
    if (pay_jwe_plaintext_check((const uint8_t *)in, in_len, PAY_EXPECT_ANY, f, 4, &nf) >=
        PAY_FINDING_WARNING)
        for (size_t i = 0; i < nf; i++)
            if (f[i].level >= PAY_FINDING_WARNING)
                fprintf(stderr, "payoutctl: warning: %s\n", f[i].text);
    fwrite(token, 1, token_len, stdout);
    fputc('\n', stdout);
    payctl_note("sealed %zu bytes into a %zu-character token", in_len, token_len);
    rc = PAYCTL_OK;
out:
    pay_key_wipe(&key);
    free(token);
    if (in) {
        memset(in, 0, in_len);
        free(in);
    }
    return rc;
}

/* ---- decrypt -------------------------------------------------------------------- */

static int print_pretty(const uint8_t *pt, size_t n)
{
    json_error_t jerr;
    json_t *v = json_loadb((const char *)pt, n, JSON_DECODE_ANY, &jerr);
    if (!v) {
        fprintf(stderr, "payoutctl: --pretty: plaintext is not JSON (%s); printed as is\n",
                jerr.text);
        fwrite(pt, 1, n, stdout);
        return PAYCTL_OK;
    }
    /* Without JSON_ENSURE_ASCII jansson writes UTF-8 as is, so escaped and
     * raw Korean print the same (case C20). */
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    json_decref(v);
    if (!s) {
        fprintf(stderr, "payoutctl: out of memory\n");
        return PAYCTL_CRYPTO;
    }
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
    return PAYCTL_OK;
}

static int cmd_decrypt(int argc, char **argv)
{
    const char *key_flag = NULL;
    bool pretty = false;
    const payctl_option opts[] = {
        {"--key", &key_flag, NULL, NULL, NULL, 0},
        {"--pretty", NULL, &pretty, NULL, NULL, 0},
        {NULL, NULL, NULL, NULL, NULL, 0},
    };
    const char *pos[1] = {NULL};
    size_t npos = 0;
    int rc = payctl_parse_args("jwe decrypt", decrypt_help, opts, argc, argv, pos, 1, &npos);
    if (rc >= 0) return rc;

    pay_key key;
    rc = load_key(key_flag, &key);
    if (rc != PAYCTL_OK) return rc;
    char *buf = NULL;
    const char *token = NULL;
    size_t len = 0, front = 0, back = 0;
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    rc = read_token(npos ? pos[0] : NULL, &buf, &token, &len);
    if (rc != PAYCTL_OK) goto out;
    const char *given = token;
    size_t given_len = len;
    pay_jwe_trim(&token, &len, &front, &back);
    if ((front || back) && payctl_g.verbose) {
        /* the library's wording: "removed 1 trailing LF" */
        pay_jwe_report *r = calloc(1, sizeof *r);
        if (r && pay_jwe_inspect(given, given_len, r) == PAY_OK && !r->ws_inner)
            payctl_note("token: %s", r->whitespace);
        else
            payctl_note("token: removed %zu leading and %zu trailing whitespace bytes", front,
                        back);
        free(r);
    }
    pay_error e;
    pay_err err = pay_jwe_open(token, len, &key, &pt, &pt_len, &e);
    if (err != PAY_OK) {
        fprintf(stderr, "payoutctl: jwe decrypt: %s\n", e.message);
        switch (err) {
        case PAY_ERR_JWE_TAG_MISMATCH:
            fprintf(stderr, "payoutctl: to find out why: payoutctl jwe doctor --key ... TOKEN\n");
            rc = PAYCTL_CRYPTO;
            break;
        case PAY_ERR_JWE_KEY_SIZE:
        case PAY_ERR_JWE_INFLATE:
        case PAY_ERR_INTERNAL:
        case PAY_ERR_NOMEM:
            rc = PAYCTL_CRYPTO;
            break;
        default: /* the token's format: rules 1-6, 8, 9, 12 */
            rc = PAYCTL_USAGE;
            break;
        }
        goto out;
    }
    payctl_note("opened: %zu plaintext bytes", pt_len);
    pay_finding f[4];
    size_t nf = 0;
    pay_jwe_plaintext_check(pt, pt_len, PAY_EXPECT_ANY, f, 4, &nf);
    for (size_t i = 0; i < nf; i++)
        if (f[i].level >= PAY_FINDING_WARNING)
            fprintf(stderr, "payoutctl: warning: %s\n", f[i].text);
    if (pretty)
        rc = print_pretty(pt, pt_len);
    else
        fwrite(pt, 1, pt_len, stdout);
out:
    pay_key_wipe(&key);
    pay_jwe_plaintext_free(pt, pt_len);
    free(buf);
    return rc;
}

/* ---- inspect -------------------------------------------------------------------- */

static void print_findings(const char *indent, const pay_finding *f, size_t n, bool all)
{
    for (size_t i = 0; i < n; i++) {
        if (!all && f[i].level == PAY_FINDING_OK) continue;
        if (f[i].rule)
            printf("%s%-8s rule %-2u %s\n", indent, pay_finding_level_name(f[i].level), f[i].rule,
                   f[i].text);
        else
            printf("%s%-8s %s\n", indent, pay_finding_level_name(f[i].level), f[i].text);
    }
}

/* The decoded header as text: control bytes as '?' (it is attacker data). */
static void print_header_json(const pay_jwe_report *r)
{
    size_t n = r->header_json_len < sizeof r->header_json - 1 ? r->header_json_len
                                                              : sizeof r->header_json - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)r->header_json[i];
        putchar(c < 0x20 || c == 0x7f ? '?' : c);
    }
    if (n < r->header_json_len) fputs("...", stdout);
    putchar('\n');
}

static void print_report(const pay_jwe_report *r, int64_t now, const char *indent)
{
    static const char *const names[PAY_JWE_SEGMENT_COUNT] = {
        "protected header", "encrypted key", "IV", "ciphertext", "authentication tag",
    };
    if (r->too_long) {
        /* rule 12: nothing past the length was read, segments included */
        printf("%stoken: %zu characters, over the %u-character cap: not read\n", indent,
               r->input_len, (unsigned)PAY_JWE_TOKEN_MAX);
        return;
    }
    printf("%stoken: %zu characters, %zu segment%s\n", indent, r->input_len, r->segment_count,
           r->segment_count == 1 ? "" : "s");
    printf("%swhitespace: %s\n", indent, r->whitespace[0] ? r->whitespace : "none");
    if (r->header_decoded) {
        printf("%sheader (%zu bytes): ", indent, r->header_json_len);
        print_header_json(r);
        size_t m =
            r->member_count < PAY_INSPECT_MEMBERS_MAX ? r->member_count : PAY_INSPECT_MEMBERS_MAX;
        for (size_t i = 0; i < m; i++)
            printf("%s  %-8s %s\n", indent, r->members[i].name, r->members[i].value);
    }
    if (r->iat_valid) {
        char age[64];
        pay_jwe_report_iat_age(r, now, age, sizeof age);
        printf("%siat: %s (Korean time) = %s (UTC), %s\n", indent, r->iat_kst, r->iat_utc, age);
    }
    printf("%ssegments:\n", indent);
    size_t n = r->segment_count < PAY_JWE_SEGMENT_COUNT ? r->segment_count : PAY_JWE_SEGMENT_COUNT;
    for (size_t k = 0; k < n; k++) {
        const pay_jwe_segment_info *g = &r->seg[k];
        if (g->decodable)
            printf("%s  %zu %-19s %6zu characters  %6zu bytes%s\n", indent, k + 1, names[k],
                   g->text_len, g->decoded_len, g->strict ? "" : "  (not strict base64url)");
        else
            printf("%s  %zu %-19s %6zu characters  (not decodable)\n", indent, k + 1, names[k],
                   g->text_len);
    }
}

static int cmd_inspect(int argc, char **argv)
{
    const char *now_text = NULL;
    const payctl_option opts[] = {
        {"--now", &now_text, NULL, NULL, NULL, 0},
        {NULL, NULL, NULL, NULL, NULL, 0},
    };
    const char *pos[1] = {NULL};
    size_t npos = 0;
    int rc = payctl_parse_args("jwe inspect", inspect_help, opts, argc, argv, pos, 1, &npos);
    if (rc >= 0) return rc;
    int64_t now = now_us();
    if (now_text && !parse_time("--now", now_text, &now)) return PAYCTL_USAGE;
    char *buf = NULL;
    const char *token = NULL;
    size_t len = 0;
    rc = read_token(npos ? pos[0] : NULL, &buf, &token, &len);
    if (rc != PAYCTL_OK) return rc;
    pay_jwe_report *r = calloc(1, sizeof *r);
    if (!r || pay_jwe_inspect(token, len, r) != PAY_OK) {
        fprintf(stderr, "payoutctl: out of memory\n");
        free(r);
        free(buf);
        return PAYCTL_CRYPTO;
    }
    print_report(r, now, "");
    printf("rules (docs/JWE.md):\n");
    bool violated = false;
    for (size_t i = 0; i < r->nfindings; i++)
        if (r->findings[i].level == PAY_FINDING_ERROR) violated = true;
    print_findings("  ", r->findings, r->nfindings, true);
    free(r);
    free(buf);
    return violated ? PAYCTL_CRYPTO : PAYCTL_OK;
}

/* ---- doctor --------------------------------------------------------------------- */

static void print_doctor(const pay_doctor_report *r, int64_t now, bool verbose, const char *indent)
{
    print_findings(indent, r->findings, r->nfindings, true);
    /* Rules the doctor's findings do not already speak for (a second
     * violation behind the one that stopped parsing, header details). */
    for (size_t i = 0; i < r->inspect.nfindings; i++) {
        const pay_finding *f = &r->inspect.findings[i];
        bool said = false;
        for (size_t k = 0; k < r->nfindings && f->rule; k++)
            if (r->findings[k].rule == f->rule && r->findings[k].level >= PAY_FINDING_NOTE)
                said = true;
        if (verbose || (f->level >= PAY_FINDING_WARNING && !said && f->rule))
            print_findings(indent, f, 1, true);
    }
    if (verbose) print_report(&r->inspect, now, indent);
}

static int cmd_doctor(int argc, char **argv)
{
    const char *key_flag = NULL, *now_text = NULL, *request_file = NULL, *expect_text = NULL;
    const char *pos[PAY_DOCTOR_TOKENS_MAX];
    size_t npos = 0;
    const payctl_option opts[] = {
        {"--key", &key_flag, NULL, NULL, NULL, 0},
        {"--now", &now_text, NULL, NULL, NULL, 0},
        {"--request", &request_file, NULL, NULL, NULL, 0},
        {"--expect", &expect_text, NULL, NULL, NULL, 0},
        {NULL, NULL, NULL, NULL, NULL, 0},
    };
    int rc = payctl_parse_args("jwe doctor", doctor_help, opts, argc, argv, pos,
                               PAY_DOCTOR_TOKENS_MAX, &npos);
    if (rc >= 0) return rc;
    pay_doctor_opts o;
    memset(&o, 0, sizeof o);
    int64_t now = now_us();
    if (now_text) {
        if (!parse_time("--now", now_text, &now)) return PAYCTL_USAGE;
        o.has_now = true;
        o.now_unix_us = now;
    }
    if (expect_text) {
        if (strcmp(expect_text, "object") == 0)
            o.expect = PAY_EXPECT_OBJECT;
        else if (strcmp(expect_text, "array") == 0)
            o.expect = PAY_EXPECT_ARRAY;
        else if (strcmp(expect_text, "any") != 0)
            return payctl_usage("jwe doctor ", "--expect is object, array or any (got \"%s\")",
                                expect_text);
    }
    if (npos == 0 && !request_file)
        return payctl_usage("jwe doctor ", "give a TOKEN (or \"-\" for stdin) or --request FILE");
    if (npos > 1 && request_file)
        return payctl_usage("jwe doctor ", "--request goes with one token (or none: its body)");
    size_t stdin_uses = 0;
    for (size_t i = 0; i < npos; i++)
        if (strcmp(pos[i], "-") == 0) stdin_uses++;
    if (stdin_uses > 1 || (stdin_uses && request_file && strcmp(request_file, "-") == 0))
        return payctl_usage("jwe doctor ", "stdin (\"-\") can be read only once");

    /* The key as typed: the doctor reports a newline or quotes instead of
     * having them removed first. A key file is read by its first line. */
    char *owned_key = NULL;
    const char *key = key_flag ? key_flag : payctl_g.security_key;
    if (!key) key = getenv(KEY_ENV);
    if (!key && payctl_g.security_key_file) {
        char source[512];
        rc = payctl_load_secret("security key", NULL, payctl_g.security_key_file, KEY_ENV,
                                &owned_key, source, sizeof source);
        if (rc != PAYCTL_OK) return rc;
        key = owned_key;
    }
    if (!key)
        return payctl_usage("jwe doctor ", "the doctor needs the key: --key HEX, "
                                           "--security-key-file FILE or " KEY_ENV);
    const char *key_text = key;

    char *request = NULL, *stdin_buf = NULL;
    size_t request_len = 0;
    pay_doctor_report *reports = NULL;
    pay_doctor_summary *summary = NULL;
    pay_doctor_token toks[PAY_DOCTOR_TOKENS_MAX];
    if (request_file) {
        rc = payctl_read_file(request_file, &request, &request_len);
        if (rc != PAYCTL_OK) goto out;
        o.request = request;
        o.request_len = request_len;
    }
    for (size_t i = 0; i < npos; i++) {
        if (strcmp(pos[i], "-") == 0) {
            rc = read_token(NULL, &stdin_buf, &toks[i].text, &toks[i].len);
            if (rc != PAYCTL_OK) goto out;
        } else {
            toks[i].text = pos[i];
            toks[i].len = strlen(pos[i]);
        }
    }
    reports = calloc(npos ? npos : 1, sizeof *reports);
    summary = calloc(1, sizeof *summary);
    if (!reports || !summary) {
        fprintf(stderr, "payoutctl: out of memory\n");
        rc = PAYCTL_CRYPTO;
        goto out;
    }
    pay_err err;
    if (npos <= 1)
        err = pay_jwe_doctor(npos ? toks[0].text : NULL, npos ? toks[0].len : 0, key_text,
                             strlen(key_text), &o, &reports[0]);
    else
        err = pay_jwe_doctor_many(toks, npos, key_text, strlen(key_text), &o, reports, summary);
    if (err != PAY_OK) {
        fprintf(stderr, "payoutctl: jwe doctor: %s\n", pay_strerror(err));
        rc = PAYCTL_CRYPTO;
        goto out;
    }
    bool all_open = true;
    if (npos <= 1) {
        const pay_doctor_report *r = &reports[0];
        printf("%s\n\n", r->headline);
        printf("verdict: %s\n", pay_doctor_verdict_name(r->verdict));
        print_doctor(r, now, payctl_g.verbose, "  ");
        all_open = r->verdict == PAY_DOCTOR_OPENS;
    } else {
        printf("%s\n\n", summary->headline);
        printf("%zu tokens, %zu open with this key\n", summary->ntokens, summary->nopened);
        print_findings("  ", summary->findings, summary->nfindings, true);
        /* Each opens, but a reused IV or nonce is an error a gate must see. */
        if (summary->iv_reused || summary->nonce_reused) all_open = false;
        for (size_t i = 0; i < npos; i++) {
            const pay_doctor_report *r = &reports[i];
            printf("\ntoken #%zu: %s\n  %s\n", i + 1, pay_doctor_verdict_name(r->verdict),
                   r->headline);
            print_doctor(r, now, payctl_g.verbose, "    ");
            if (r->verdict != PAY_DOCTOR_OPENS) all_open = false;
        }
    }
    rc = all_open ? PAYCTL_OK : PAYCTL_CRYPTO;
out:
    free(reports);
    free(summary);
    free(request);
    free(stdin_buf);
    payctl_secret_free(owned_key);
    return rc;
}

int payctl_jwe(int argc, char **argv)
{
    int i = 1;
    /* global options may also sit between "jwe" and the subcommand */
    for (; i < argc && argv[i][0] == '-' && !payctl_is_help(argv[i]); i++) {
        int g = payctl_global_option(argc, argv, &i);
        if (g < 0) return PAYCTL_USAGE;
        if (g == 0) return payctl_usage("jwe ", "unknown option %s", argv[i]);
    }
    if (i >= argc) {
        fputs(jwe_help, stderr);
        return PAYCTL_USAGE;
    }
    const char *sub = argv[i];
    int n = argc - i - 1;
    char **rest = argv + i + 1;
    if (payctl_is_help(sub)) return payctl_help(jwe_help);
    if (strcmp(sub, "encrypt") == 0) return cmd_encrypt(n, rest);
    if (strcmp(sub, "decrypt") == 0) return cmd_decrypt(n, rest);
    if (strcmp(sub, "inspect") == 0) return cmd_inspect(n, rest);
    if (strcmp(sub, "doctor") == 0) return cmd_doctor(n, rest);
    return payctl_usage("jwe ", "unknown subcommand \"%s\" (encrypt, decrypt, inspect, doctor)",
                        sub);
}
