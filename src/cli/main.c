/*
 * payoutctl: a command-line client of the v2 payout API (sellers, payouts,
 * balances) built on libpayout, plus payoutd's admin API, webhook signature
 * checks and JWE tools. See docs/payoutctl.md.
 *
 * main parses the global options that come before the command and hands
 * the rest to the command group (commands.h); the groups accept global
 * options after the command too.
 */
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "commands.h"
#include "payout/client.h"

static const char main_help[] =
    "Usage: payoutctl [global options] <command> [subcommand] [options]\n"
    "A client of the v2 payout API (sellers, payouts, balances) on libpayout: request\n"
    "bodies are sealed with the security key, sealed answers opened, errors shown\n"
    "with their code, trace id and what they mean.\n"
    "\n"
    "Commands:\n"
    "  sellers create|list|get|update|delete   sellers (POST/GET/DELETE /v2/sellers)\n"
    "  payouts request|list|get|cancel         payouts (POST/GET /v2/payouts)\n"
    "  balances                                the balance (GET /v2/balances)\n"
    "  webhook verify                          check a webhook's signature\n"
    "  jwe encrypt|decrypt|inspect|doctor      JWE tokens of the API: seal, open, look\n"
    "                                          inside, diagnose one that does not open\n"
    "  admin ...                               payoutd's admin API: merchants, contract,\n"
    "                                          credit, clock, sellers, webhook, keys,\n"
    "                                          traces, scheduler\n"
    "  help [command]                          this text, or a command's\n"
    "  version                                 payoutctl's version\n"
    "\n"
    "Credentials: PAYOUT_SECRET_KEY and PAYOUT_SECURITY_KEY (or --secret-key-file,\n"
    "--security-key-file); PAYOUT_BASE_URL (payoutd users: http://127.0.0.1:8080).\n"
    "Keys are never printed, not even with --verbose.\n"
    "\n"
    "Examples:\n"
    "  export PAYOUT_BASE_URL=http://127.0.0.1:8080\n"
    "  export PAYOUT_SECRET_KEY=test_sk_... PAYOUT_SECURITY_KEY=...\n"
    "  payoutctl balances\n"
    "  payoutctl sellers list --limit 5\n"
    "  payoutctl --verbose payouts get FPA_01kf0w9vdgezd8rdkrt43qvq3g\n"
    "Run payoutctl <command> --help for a command's options and examples.\n";

typedef int (*group_fn)(int, char **);

static group_fn find_group(const char *name)
{
    static const struct {
        const char *name;
        group_fn fn;
    } groups[] = {
        {"sellers", payctl_sellers}, {"payouts", payctl_payouts}, {"balances", payctl_balances},
        {"webhook", payctl_webhook}, {"admin", payctl_admin},     {"jwe", payctl_jwe},
    };
    for (size_t k = 0; k < sizeof groups / sizeof groups[0]; k++)
        if (strcmp(name, groups[k].name) == 0) return groups[k].fn;
    return NULL;
}

/* "payoutctl help sellers create" == "payoutctl sellers create --help". */
static int help_for(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_help, stdout);
        fputc('\n', stdout);
        fputs(payctl_global_help, stdout);
        return PAYCTL_OK;
    }
    group_fn fn = find_group(argv[1]);
    if (!fn) return payctl_usage("", "no command \"%s\"", argv[1]);
    char *args[8];
    int n = 0;
    for (int i = 1; i < argc && n < 6; i++)
        args[n++] = argv[i];
    char help[] = "--help";
    args[n++] = help;
    args[n] = NULL;
    return fn(n, args);
}

int main(int argc, char **argv)
{
    payctl_globals_init();
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return help_for(1, argv);
        if (strcmp(a, "--version") == 0) {
            printf("payoutctl %s\n", PAYCTL_VERSION);
            return PAYCTL_OK;
        }
        if (a[0] != '-') break;
        int g = payctl_global_option(argc, argv, &i);
        if (g < 0) return PAYCTL_USAGE;
        if (g == 0) return payctl_usage("", "unknown option %s", a);
    }
    if (i >= argc) {
        fputs(main_help, stderr);
        return PAYCTL_USAGE;
    }
    const char *cmd = argv[i];
    if (strcmp(cmd, "help") == 0) return help_for(argc - i, argv + i);
    if (strcmp(cmd, "version") == 0) {
        printf("payoutctl %s\n", PAYCTL_VERSION);
        return PAYCTL_OK;
    }
    group_fn fn = find_group(cmd);
    if (!fn) return payctl_usage("", "unknown command \"%s\"", cmd);
    if (pay_client_global_init() != PAY_OK) {
        fprintf(stderr, "payoutctl: cannot initialise libcurl\n");
        return PAYCTL_CRYPTO;
    }
    int rc = fn(argc - i, argv + i);
    fflush(stdout);
    pay_client_global_cleanup();
    return rc;
}
