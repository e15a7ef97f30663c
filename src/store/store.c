#include "store/store.h"

const char *pay_store_rc_name(pay_store_rc rc)
{
    switch (rc) {
    case PAY_STORE_OK: return "ok";
    case PAY_STORE_NOTFOUND: return "not found";
    case PAY_STORE_CONFLICT: return "conflict";
    case PAY_STORE_ABORT: return "aborted";
    case PAY_STORE_FULL: return "disk full";
    case PAY_STORE_BUSY: return "busy";
    case PAY_STORE_IO: return "i/o error";
    case PAY_STORE_NOMEM: return "out of memory";
    }
    return "unknown";
}
