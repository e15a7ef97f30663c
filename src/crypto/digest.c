#include "crypto/digest.h"

#include <pthread.h>

static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL); /* kept for the process's life */
}

const EVP_MD *pay_sha256_md(void)
{
    return pthread_once(&sha256_once, fetch_sha256) == 0 ? sha256 : NULL;
}

bool pay_sha256(const void *data, size_t len, uint8_t out[32])
{
    const EVP_MD *md = pay_sha256_md();
    unsigned int n = 32;
    return md && EVP_Digest(data, len, out, &n, md, NULL) == 1 && n == 32;
}
