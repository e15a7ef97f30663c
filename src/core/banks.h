/* The KFTC bank and securities codes a seller account may use (spec §10 #13). */
#ifndef PAY_BANKS_H
#define PAY_BANKS_H

#include <stdbool.h>

/* The Korean name of a 3-digit code, or NULL when the code is not listed. */
const char *pay_bank_name(const char *code);

#endif
