/*
 * Wire errors: the stable code, its HTTP status and its messages (Korean by
 * default, English with Accept-Language: en-US), from the table in
 * apierr.def. A pay_fault carries a code plus an optional detail naming the
 * field, rule or cause; the HTTP layer renders it into the v2 error envelope.
 */
#ifndef PAY_APIERR_H
#define PAY_APIERR_H

#include <stdio.h>

typedef enum pay_api_err {
    PAY_E_NONE = 0,
#define X(name, status, code, ko, en) PAY_E_##name,
#include "core/apierr.def"
#undef X
    PAY_E_COUNT
} pay_api_err;

typedef enum pay_lang { PAY_LANG_KO = 0, PAY_LANG_EN = 1 } pay_lang;

int pay_api_err_status(pay_api_err e);
const char *pay_api_err_code(pay_api_err e);
const char *pay_api_err_message(pay_api_err e, pay_lang lang);
/* Looks a wire code up ("NOT_FOUND"); PAY_E_NONE when unknown. */
pay_api_err pay_api_err_from_code(const char *code);

#define PAY_FAULT_DETAIL_MAX 768

typedef struct pay_fault {
    pay_api_err code;
    char detail_ko[PAY_FAULT_DETAIL_MAX]; /* empty = none */
    char detail_en[PAY_FAULT_DETAIL_MAX];
} pay_fault;

/* Sets a fault with no detail. */
void pay_fault_set(pay_fault *f, pay_api_err code);

/* Sets a fault whose detail is the same text in both languages (technical
 * details such as a JWE parse error or an id). */
void pay_fault_setf(pay_fault *f, pay_api_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets a fault with a Korean and an English detail from two literal formats
 * that take the same arguments. */
#define pay_fault_set2(f, code_, ko_fmt, en_fmt, ...)                                              \
    do {                                                                                           \
        pay_fault_set((f), (code_));                                                               \
        snprintf((f)->detail_ko, sizeof (f)->detail_ko, ko_fmt, __VA_ARGS__);                      \
        snprintf((f)->detail_en, sizeof (f)->detail_en, en_fmt, __VA_ARGS__);                      \
    } while (0)

/* The full message: base message, then " (detail)" when there is one. */
void pay_fault_message(const pay_fault *f, pay_lang lang, char *out, size_t cap);

#endif
