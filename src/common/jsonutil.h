/* jansson helpers shared by the server and the library. */
#ifndef PAY_JSONUTIL_H
#define PAY_JSONUTIL_H

#include <jansson.h>

/* A JSON string from text that may have been cut mid-character by a bounded
 * format (%.40s): invalid UTF-8 at the end is dropped instead of making
 * json_string() fail. Never NULL unless out of memory. */
json_t *pay_json_text(const char *s);

#endif
