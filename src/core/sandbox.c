#include "core/sandbox.h"

#include <stdio.h>
#include <string.h>

/* Registration-time verification failures, by account number. */
static const struct {
    const char *number;
    pay_api_err code;
} account_magic[] = {
    {"99990000001", PAY_E_ACCOUNT_OWNER_CHECK_FAILED},
    {"99990000002", PAY_E_INVALID_ACCOUNT_NUMBER_OR_UNAVAILABLE},
    {"99990000003", PAY_E_INVALID_ACCOUNT_NOT_CORRECT_BANK},
    {"99990000004", PAY_E_ALREADY_CLOSE_ACCOUNT},
    {"99990000005", PAY_E_NOT_MATCH_PAYEE_NAME},
    {"99990000006", PAY_E_INVALID_ACCOUNT_NUMBER},
};

/* ... and by business registration number. */
static const struct {
    const char *brn;
    pay_api_err code;
} brn_magic[] = {
    {"9999999991", PAY_E_NOT_REGISTERED_BUSINESS},
    {"9999999992", PAY_E_INVALID_BUSINESS_NUMBER},
};

/* Bank-step failures. The three accounts are the bank-failure test
 * accounts of the public guide (spec §1.3); the amounts are ours. */
typedef struct failure {
    const char *code;
    const char *ko;
    const char *en;
} failure;

static const failure fail_transfer = {"BANK_TRANSFER_FAILED", "은행 이체에 실패했습니다.",
                                      "The bank transfer failed."};
static const failure fail_closed = {"ALREADY_CLOSE_ACCOUNT", "해지된 계좌입니다.",
                                    "The account has been closed."};
static const failure fail_unavailable = {"INVALID_ACCOUNT_NUMBER_OR_UNAVAILABLE",
                                         "계좌번호가 올바르지 않거나 사용할 수 없는 계좌입니다.",
                                         "The account number is invalid or the account cannot "
                                         "be used."};
static const failure fail_limit = {"BANK_LIMIT_EXCEEDED", "은행 이체 한도를 초과했습니다.",
                                   "The bank's transfer limit was exceeded."};
static const failure fail_maintenance = {"BANK_UNDER_MAINTENANCE", "은행 점검 시간입니다.",
                                         "The bank is under maintenance."};
static const failure fail_payee = {"NOT_MATCH_PAYEE_NAME", "수취인 성명이 일치하지 않습니다.",
                                   "The payee name does not match."};

static const struct {
    const char *number;
    const char *bank;
    const failure *why;
} bank_accounts[] = {
    {"77701777777", "295", &fail_transfer},
    {"3025353430761", "011", &fail_closed},
    {"02004240994312", "002", &fail_unavailable},
};

#define SLOW_AMOUNT 4009
static const struct {
    int64_t amount;
    const failure *why;
} bank_amounts[] = {
    {4001, &fail_limit},
    {4002, &fail_maintenance},
    {4003, &fail_payee},
};

static const char *account_number(const pay_seller *s)
{
    return s->account ? json_string_value(json_object_get(s->account, "accountNumber")) : NULL;
}

bool pay_sandbox_check_seller(const pay_seller *s, pay_fault *f)
{
    const char *number = account_number(s);
    for (size_t i = 0; number && i < sizeof account_magic / sizeof account_magic[0]; i++)
        if (strcmp(number, account_magic[i].number) == 0) {
            pay_fault_setf(f, account_magic[i].code,
                           "sandbox: account.accountNumber %s always gives this result",
                           account_magic[i].number);
            return false;
        }
    const char *brn = s->company
                          ? json_string_value(json_object_get(s->company, "businessRegistrationNumber"))
                          : NULL;
    for (size_t i = 0; brn && i < sizeof brn_magic / sizeof brn_magic[0]; i++)
        if (strcmp(brn, brn_magic[i].brn) == 0) {
            pay_fault_setf(f, brn_magic[i].code,
                           "sandbox: company.businessRegistrationNumber %s always gives this result",
                           brn_magic[i].brn);
            return false;
        }
    return true;
}

static bool failed(const failure *why, char code[64], char message[512])
{
    snprintf(code, 64, "%s", why->code);
    snprintf(message, 512, "%s (%s)", why->ko, why->en);
    return false;
}

bool pay_sandbox_bank_outcome(const pay_payout *p, const pay_seller *dest, char code[64],
                              char message[512])
{
    const char *number = dest ? account_number(dest) : NULL;
    for (size_t i = 0; number && i < sizeof bank_accounts / sizeof bank_accounts[0]; i++)
        if (strcmp(number, bank_accounts[i].number) == 0)
            return failed(bank_accounts[i].why, code, message);
    for (size_t i = 0; i < sizeof bank_amounts / sizeof bank_amounts[0]; i++)
        if (p->amount == bank_amounts[i].amount) return failed(bank_amounts[i].why, code, message);
    return true;
}

int64_t pay_sandbox_bank_step_us(const pay_payout *p)
{
    return p->amount == SLOW_AMOUNT ? PAY_BANK_STEP_SLOW_US : PAY_BANK_STEP_US;
}
