/*
 * payoutctl's command groups. Each takes the arguments after its group name
 * (argv[0] is the group, e.g. "sellers") and returns the process exit code:
 */
#ifndef PAYCTL_COMMANDS_H
#define PAYCTL_COMMANDS_H

enum {
    PAYCTL_OK = 0,        /* success */
    PAYCTL_API_ERROR = 1, /* the server refused (business or validation rule) */
    PAYCTL_USAGE = 2,     /* bad command line or input */
    PAYCTL_NETWORK = 3,   /* no answer from the server */
    PAYCTL_CRYPTO = 4,    /* a token or answer could not be read: JWE, JSON */
    PAYCTL_AUTH = 5,      /* credentials rejected or not permitted (401/403) */
};

int payctl_sellers(int argc, char **argv);
int payctl_payouts(int argc, char **argv);
int payctl_balances(int argc, char **argv);
int payctl_jwe(int argc, char **argv);     /* encrypt | decrypt | inspect | doctor */
int payctl_webhook(int argc, char **argv); /* verify */
int payctl_admin(int argc, char **argv);

#endif
