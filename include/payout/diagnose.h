/*
 * payout/diagnose.h — why a JWE does not open.
 *
 * "Tag mismatch" is all AES-GCM can say. pay_jwe_diagnose re-runs the
 * decryption the known wrong ways (the failure cases integrators hit: the key
 * string used as ASCII or hashed instead of hex-decoded, an AAD other than the
 * header segment that was sent, another enc, another key) and names the one
 * that makes the tag verify. Each try changes one thing, so a hit is an
 * explanation, not a guess.
 *
 * Ownership: caller-provided buffers only. Thread-safety: reentrant.
 */
#ifndef PAYOUT_DIAGNOSE_H
#define PAYOUT_DIAGNOSE_H

#include <stddef.h>

#include "payout/jwe.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pay_diag_cause {
    PAY_DIAG_UNEXPLAINED = 0,   /* no known mistake explains it: another key sealed it */
    PAY_DIAG_OPENS = 1,         /* it opens with the key as given */
    PAY_DIAG_KEY_ASCII = 2,     /* key = the first 32 (or 16) ASCII characters of the hex string */
    PAY_DIAG_KEY_SHA256 = 3,    /* key = SHA-256 of the hex string */
    PAY_DIAG_KEY_BASE64 = 4,    /* key = the hex string base64-decoded, cut to 32 bytes */
    PAY_DIAG_AAD_EMPTY = 5,     /* tag computed without AAD */
    PAY_DIAG_AAD_RESERIALIZED = 6, /* AAD = another serialization of the header */
    PAY_DIAG_AAD_DECODED = 7,   /* AAD = the decoded header JSON, not its base64url text */
    PAY_DIAG_ENC_MISMATCH = 8,  /* sealed with AES-128/192-GCM under an A256GCM header */
    PAY_DIAG_OTHER_KEY = 9,     /* one of the caller's labelled candidate keys sealed it */
} pay_diag_cause;

/* A key the caller suspects, with a label for the sentence ("this merchant's
 * live security key"). The label is printed; the key never is. */
typedef struct pay_diag_candidate {
    const pay_key *key;
    const char *label;
} pay_diag_candidate;

#define PAY_DIAG_SENTENCE_MAX 512

/* Diagnoses a parsed token that does not open under key (the security key as
 * the integrator holds it). Writes one plain sentence with the fix.
 * candidates (may be NULL/0) are tried after the derivations of key. */
PAY_API pay_diag_cause pay_jwe_diagnose(const pay_jwe *jwe, const pay_key *key,
                                        const pay_diag_candidate *candidates, size_t ncandidates,
                                        char *sentence, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
