/*
 * Answers for handlers that change state. When the request carries an
 * Idempotency-Key, the success envelope is rendered inside the write
 * transaction and stored with it (a commit hook on the actor), so the
 * change and its recorded answer commit together or not at all.
 */
#ifndef PAY_REPLY_H
#define PAY_REPLY_H

#include <jansson.h>
#include <stdbool.h>

#include "http/ctx.h"

typedef json_t *(*pay_entity_render)(const void *result);

typedef struct pay_reply {
    pay_ctx *ctx;
    const char *entity_type;
    pay_entity_render render;
    const void *result;
    pay_commit_hook hook;
    char *text;      /* rendered inside the transaction, when idempotent */
    bool text_final; /* rendered before it (pay_reply_render_now) */
} pay_reply;

/* Prepares the reply; call before the domain function that writes. */
void pay_reply_begin(pay_reply *r, pay_ctx *ctx, const char *entity_type, pay_entity_render render,
                     const void *result);
/* For a result complete before the write (creations): renders the stored
 * answer now, on the request's thread, rather than inside the transaction
 * on the store's single writer thread. False when out of memory. */
bool pay_reply_render_now(pay_reply *r);
/* 200 with the entity (the stored text when there is one). */
void pay_reply_ok(pay_reply *r);
/* The fault, releasing anything prepared. */
void pay_reply_fault(pay_reply *r, const pay_fault *f);

#endif
