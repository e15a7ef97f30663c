#include "common/jsonutil.h"

#include <string.h>

#include "common/text.h"

json_t *pay_json_text(const char *s)
{
    size_t n = strlen(s), bad = n;
    if (!pay_utf8_valid(s, n, &bad)) n = bad;
    return json_stringn(s, n);
}
