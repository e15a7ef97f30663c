#include "core/apierr.h"

#include <stdarg.h>
#include <string.h>

static const struct {
    int status;
    const char *code;
    const char *msg[2];
} table[PAY_E_COUNT] = {
    [PAY_E_NONE] = {200, "NONE", {"", ""}},
#define X(name, st, cd, ko, en) [PAY_E_##name] = {st, cd, {ko, en}},
#include "core/apierr.def"
#undef X
};

int pay_api_err_status(pay_api_err e)
{
    return e > PAY_E_NONE && e < PAY_E_COUNT ? table[e].status : 500;
}

const char *pay_api_err_code(pay_api_err e)
{
    return e > PAY_E_NONE && e < PAY_E_COUNT ? table[e].code : "UNKNOWN_ERROR";
}

const char *pay_api_err_message(pay_api_err e, pay_lang lang)
{
    if (e <= PAY_E_NONE || e >= PAY_E_COUNT) return "";
    return table[e].msg[lang == PAY_LANG_EN];
}

pay_api_err pay_api_err_from_code(const char *code)
{
    for (int e = 1; e < PAY_E_COUNT; e++)
        if (strcmp(table[e].code, code) == 0) return (pay_api_err)e;
    return PAY_E_NONE;
}

void pay_fault_set(pay_fault *f, pay_api_err code)
{
    f->code = code;
    f->detail_ko[0] = 0;
    f->detail_en[0] = 0;
}

void pay_fault_setf(pay_fault *f, pay_api_err code, const char *fmt, ...)
{
    pay_fault_set(f, code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail_en, sizeof f->detail_en, fmt, ap);
    va_end(ap);
    memcpy(f->detail_ko, f->detail_en, sizeof f->detail_ko);
}

void pay_fault_message(const pay_fault *f, pay_lang lang, char *out, size_t cap)
{
    const char *base = pay_api_err_message(f->code, lang);
    const char *detail = lang == PAY_LANG_EN ? f->detail_en : f->detail_ko;
    if (detail[0])
        snprintf(out, cap, "%s (%s)", base, detail);
    else
        snprintf(out, cap, "%s", base);
}
