/*
 * payoutctl webhook verify: checks a payout.changed / seller.changed
 * webhook's signature with libpayout's pay_webhook_verify (spec §4.11,
 * §10 #6): HMAC-SHA256 over the raw body bytes, ":" and the transmission
 * time, keyed with the hex-decoded security key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "commands.h"
#include "payout/jwe.h"
#include "payout/webhook.h"

#define WEBHOOK_KEYS_MAX 4 /* during a rotation two keys are valid */

static const char webhook_help[] =
    "Usage: payoutctl webhook verify --body FILE --time TIME --signature SIGNATURE\n"
    "                                [--key HEX]...\n"
    "Checks a webhook's tosspayments-webhook-signature header: HMAC-SHA256 of the raw\n"
    "body bytes + \":\" + the tosspayments-webhook-transmission-time header, keyed with\n"
    "the 32 hex-decoded bytes of the security key; any \"v1:\" value matching any key\n"
    "is valid (two keys and two values during a key rotation).\n"
    "  --body FILE        the request body exactly as received (\"-\": stdin)\n"
    "  --time TIME        the tosspayments-webhook-transmission-time header\n"
    "  --signature SIG    the tosspayments-webhook-signature header (v1:...,v1:...)\n"
    "  --key HEX          a security key (repeatable); default: PAYOUT_SECURITY_KEY or\n"
    "                     --security-key-file FILE\n"
    "Prints \"valid\" or \"invalid: <reason>\". Exit 0 valid, 1 invalid, 2 usage, 4 a\n"
    "key that is not 64 hex characters.\n"
    "Examples:\n"
    "  payoutctl webhook verify --body body.json --time 2024-09-05T12:19:21+09:00 \\\n"
    "      --signature 'v1:FD63l30aXccM2vCg/LlxI+yWkVJUjFfNOrE7Hk3cJRw='\n"
    "  payoutctl webhook verify --body - --time \"$T\" --signature \"$SIG\" \\\n"
    "      --key \"$OLD_KEY\" --key \"$NEW_KEY\" < body.json\n";

static int verify(int argc, char **argv)
{
    const char *body_file = NULL, *time_value = NULL, *signature = NULL;
    const char *keys_hex[WEBHOOK_KEYS_MAX];
    size_t nkeys_hex = 0;
    payctl_option opts[] = {{"--body", &body_file, NULL, NULL, NULL, 0},
                            {"--time", &time_value, NULL, NULL, NULL, 0},
                            {"--signature", &signature, NULL, NULL, NULL, 0},
                            {"--key", NULL, NULL, keys_hex, &nkeys_hex, WEBHOOK_KEYS_MAX},
                            {NULL, NULL, NULL, NULL, NULL, 0}};
    const char *pos[1];
    size_t npos;
    const char *cmd = "webhook verify ";
    int rc = payctl_parse_args("webhook verify", webhook_help, opts, argc, argv, pos, 0, &npos);
    if (rc != -1) return rc;
    if (!body_file) return payctl_usage(cmd, "--body FILE is required");
    if (!time_value) return payctl_usage(cmd, "--time (the transmission time) is required");
    if (!signature) return payctl_usage(cmd, "--signature is required");

    pay_key keys[WEBHOOK_KEYS_MAX];
    size_t nkeys = 0;
    char *env_key = NULL;
    char *body = NULL;
    size_t body_len = 0;
    memset(keys, 0, sizeof keys);
    if (nkeys_hex == 0) {
        char source[512];
        rc = payctl_load_secret("security key", payctl_g.security_key, payctl_g.security_key_file,
                                "PAYOUT_SECURITY_KEY", &env_key, source, sizeof source);
        if (rc != PAYCTL_OK) goto out;
        if (!env_key) {
            rc = payctl_usage(cmd, "give --key HEX, or set PAYOUT_SECURITY_KEY, or use "
                                   "--security-key-file FILE");
            goto out;
        }
        pay_error err;
        if (pay_key_from_hex(&keys[0], env_key, strlen(env_key), &err) != PAY_OK) {
            fprintf(stderr, "error: the security key from %s is not usable: %s\n", source,
                    err.message);
            rc = PAYCTL_CRYPTO;
            goto out;
        }
        nkeys = 1;
    } else {
        for (size_t k = 0; k < nkeys_hex; k++) {
            pay_error err;
            if (pay_key_from_hex(&keys[k], keys_hex[k], strlen(keys_hex[k]), &err) != PAY_OK) {
                fprintf(stderr, "error: --key number %zu is not usable: %s\n", k + 1, err.message);
                rc = PAYCTL_CRYPTO;
                goto out;
            }
            nkeys++;
        }
    }
    /* The body's exact bytes: a re-serialized or trimmed body would not match. */
    rc = payctl_read_file(body_file, &body, &body_len);
    if (rc != PAYCTL_OK) goto out;
    payctl_note("body: %zu bytes; %zu key(s)", body_len, nkeys);
    pay_error err;
    memset(&err, 0, sizeof err);
    pay_err vrc = pay_webhook_verify(keys, nkeys, body, body_len, time_value, signature, &err);
    if (vrc == PAY_OK) {
        printf("valid\n");
        rc = PAYCTL_OK;
    } else {
        printf("invalid: %s\n", err.message[0] ? err.message : pay_strerror(vrc));
        rc = PAYCTL_API_ERROR;
    }
out:
    for (size_t k = 0; k < WEBHOOK_KEYS_MAX; k++)
        pay_key_wipe(&keys[k]);
    payctl_secret_free(env_key);
    free(body);
    return rc;
}

int payctl_webhook(int argc, char **argv)
{
    int i = 1;
    for (; i < argc; i++) {
        if (payctl_is_help(argv[i])) return payctl_help(webhook_help);
        if (argv[i][0] != '-') break;
        int g = payctl_global_option(argc, argv, &i);
        if (g < 0) return PAYCTL_USAGE;
        if (g == 0) return payctl_usage("webhook ", "unknown option %s", argv[i]);
    }
    if (i >= argc) {
        fputs(webhook_help, stderr);
        return PAYCTL_USAGE;
    }
    if (strcmp(argv[i], "verify") == 0) return verify(argc - i - 1, argv + i + 1);
    return payctl_usage("webhook ", "unknown subcommand \"%s\" (verify)", argv[i]);
}
