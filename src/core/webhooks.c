#include "core/webhooks.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "core/merchants.h"
#include "core/scheduler.h"
#include "payout/webhook.h"

#define DUE_PER_SCOPE 32
#define RESPONSE_KEEP 256 /* bytes of a receiver's answer kept for the log */

static const int retry_minutes[PAY_WEBHOOK_RETRIES] = {1, 4, 16, 64, 256, 1024, 4096};

/* Attempts made but not recorded: the store refused the write (a full disk,
 * say). Their events stay due in the store, so without this list they would
 * go out again on every tick; instead each tick first retries the record,
 * and the event waits. Lost on a restart, when at-least-once delivery
 * allows one more send. */
#define UNSAVED_MAX 256
static struct {
    pthread_mutex_t lock;
    const pay_store *store[UNSAVED_MAX]; /* whose outbox, should a process have two */
    pay_webhook_event ev[UNSAVED_MAX];
    size_t n;
} unsaved = {PTHREAD_MUTEX_INITIALIZER, {0}, {{0}}, 0};

typedef struct sink {
    size_t seen;
} sink;

static size_t discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
    (void)ptr;
    ((sink *)arg)->seen += size * nmemb;
    return size * nmemb;
}

/* One HTTP attempt. Returns the HTTP status, or 0 with err set. */
static long post(const char *url, const pay_webhook_event *e, const char *time_kst, int retried,
                 const char *signature, char *err, size_t errlen)
{
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "cannot create an HTTP client");
        return 0;
    }
    char h_time[96], h_count[80], h_id[96], h_sig[PAY_WEBHOOK_SIG_BUF * 2 + 64];
    char trans_id[PAY_OBJECT_ID_MAX];
    if (!pay_object_id_new("whtrans_", pay_real_now_us(), trans_id, sizeof trans_id))
        snprintf(trans_id, sizeof trans_id, "whtrans_unknown");
    snprintf(h_time, sizeof h_time, "tosspayments-webhook-transmission-time: %s", time_kst);
    snprintf(h_count, sizeof h_count, "tosspayments-webhook-transmission-retried-count: %d",
             retried);
    snprintf(h_id, sizeof h_id, "tosspayments-webhook-transmission-id: %s", trans_id);
    snprintf(h_sig, sizeof h_sig, "tosspayments-webhook-signature: %s", signature);
    struct curl_slist *hs = NULL;
    hs = curl_slist_append(hs, "Content-Type: application/json");
    hs = curl_slist_append(hs, h_time);
    hs = curl_slist_append(hs, h_count);
    hs = curl_slist_append(hs, h_id);
    if (signature[0]) hs = curl_slist_append(hs, h_sig);
    hs = curl_slist_append(hs, "Expect:"); /* no 100-continue round trip */
    char curl_err[CURL_ERROR_SIZE] = "";
    sink s = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, e->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(e->body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)PAY_WEBHOOK_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)PAY_WEBHOOK_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "payoutd-webhook/1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    long status = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(err, errlen, "%s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
    return status;
}

/* "v1:..,v1:.." with every valid security key of the scope (spec §10 #6). */
static void sign(pay_core *core, const pay_webhook_event *e, int64_t now_us, const char *time_kst,
                 char *out, size_t cap)
{
    pay_key keys[PAY_SECURITY_KEYS_MAX];
    size_t n = 0;
    out[0] = 0;
    if (pay_merchant_security_keys(core, e->scope, now_us, keys, &n) !=
        PAY_STORE_OK)
        return;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        char sig[PAY_WEBHOOK_SIG_BUF];
        if (pay_webhook_sign(&keys[i], e->body, strlen(e->body), time_kst, sig) == PAY_OK)
            used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? "," : "", sig);
        pay_key_wipe(&keys[i]);
    }
}

typedef struct scope_job {
    pay_scope scope;
    int64_t now_us;
    pay_webhook_event *events;
    size_t n;
    char url[PAY_URL_MAX];
    bool has_url;
} scope_job;

static pay_store_rc load_fn(pay_tx *tx, void *arg)
{
    scope_job *job = arg;
    pay_store_rc rc = tx->ops->event_due(tx, job->scope, job->now_us, job->events, DUE_PER_SCOPE,
                                         &job->n);
    if (rc != PAY_STORE_OK || job->n == 0) return rc;
    rc = tx->ops->endpoint_get(tx, job->scope, job->url, sizeof job->url);
    job->has_url = rc == PAY_STORE_OK;
    return rc == PAY_STORE_NOTFOUND ? PAY_STORE_OK : rc;
}

static pay_store_rc save_fn(pay_tx *tx, void *arg)
{
    return tx->ops->event_update(tx, arg);
}

static void attempt(pay_core *core, scope_job *job, pay_webhook_event *e)
{
    if (!job->has_url) {
        e->status = PAY_EVENT_NO_ENDPOINT;
        snprintf(e->last_error, sizeof e->last_error, "no webhook URL is set for this merchant");
    } else {
        char time_kst[PAY_IAT_BUF], signature[PAY_WEBHOOK_SIG_BUF * 2 + 2], err[256] = "";
        pay_format_kst(job->now_us, time_kst);
        sign(core, e, job->now_us, time_kst, signature, sizeof signature);
        long status = post(job->url, e, time_kst, e->attempts, signature, err, sizeof err);
        e->last_attempt_at_us = job->now_us;
        e->last_http_status = (int)status;
        e->attempts++;
        if (status == 200) { /* spec §4.11: exactly 200 */
            e->status = PAY_EVENT_DELIVERED;
            e->delivered_at_us = job->now_us;
            e->last_error[0] = 0;
        } else {
            if (status)
                snprintf(e->last_error, sizeof e->last_error, "HTTP %ld", status);
            else
                snprintf(e->last_error, sizeof e->last_error, "%s", err);
            if (e->attempts > PAY_WEBHOOK_RETRIES) {
                e->status = PAY_EVENT_FAILED;
                pay_log_warn("webhook %s to merchant %lld gave up after %d attempts: %s",
                             e->event_id, (long long)e->scope.merchant_id, e->attempts,
                             e->last_error);
            } else {
                e->next_attempt_at_us =
                    job->now_us + (int64_t)retry_minutes[e->attempts - 1] * 60 * PAY_US_PER_SEC;
            }
        }
        pay_log_info("webhook %s %s attempt=%d status=%ld%s%s", e->event_id, e->event_type,
                     e->attempts, status, e->last_error[0] ? " error=" : "", e->last_error);
    }
    pay_store_rc rc = pay_store_write(core->store, save_fn, e);
    if (rc == PAY_STORE_OK) return;
    pay_log_error("webhook %s: cannot record the attempt: %s", e->event_id,
                  pay_store_rc_name(rc));
    pthread_mutex_lock(&unsaved.lock);
    if (unsaved.n < UNSAVED_MAX) { /* the list takes the event over */
        unsaved.store[unsaved.n] = core->store;
        unsaved.ev[unsaved.n++] = *e;
        memset(e, 0, sizeof *e);
    }
    pthread_mutex_unlock(&unsaved.lock);
}

/* Records the attempts that could not be recorded before; keeps the rest. */
static void save_unsaved(pay_core *core)
{
    pthread_mutex_lock(&unsaved.lock);
    size_t kept = 0;
    for (size_t i = 0; i < unsaved.n; i++) {
        bool mine = unsaved.store[i] == core->store;
        if (mine && pay_store_write(core->store, save_fn, &unsaved.ev[i]) == PAY_STORE_OK) {
            pay_log_info("webhook %s: attempt recorded late", unsaved.ev[i].event_id);
            pay_webhook_event_clear(&unsaved.ev[i]);
            continue;
        }
        unsaved.store[kept] = unsaved.store[i];
        unsaved.ev[kept++] = unsaved.ev[i];
    }
    unsaved.n = kept;
    pthread_mutex_unlock(&unsaved.lock);
}

static bool is_unsaved(const pay_core *core, int64_t seq)
{
    pthread_mutex_lock(&unsaved.lock);
    bool found = false;
    for (size_t i = 0; i < unsaved.n && !found; i++)
        found = unsaved.store[i] == core->store && unsaved.ev[i].seq == seq;
    pthread_mutex_unlock(&unsaved.lock);
    return found;
}

static bool deliver_scope(pay_core *core, const pay_merchant *m, pay_env env, void *arg)
{
    (void)arg;
    pay_webhook_event events[DUE_PER_SCOPE];
    scope_job job;
    memset(&job, 0, sizeof job);
    job.scope.merchant_id = m->id;
    job.scope.env = env;
    job.now_us = pay_clock_now(core->clock, m, env);
    job.events = events;
    if (pay_store_read(core->store, load_fn, &job) != PAY_STORE_OK) return true;
    for (size_t i = 0; i < job.n; i++) {
        if (!is_unsaved(core, events[i].seq)) attempt(core, &job, &events[i]);
        pay_webhook_event_clear(&events[i]);
    }
    return true;
}

void pay_webhooks_forget_unsaved(pay_core *core)
{
    save_unsaved(core); /* one last try */
    pthread_mutex_lock(&unsaved.lock);
    size_t kept = 0;
    for (size_t i = 0; i < unsaved.n; i++) {
        if (unsaved.store[i] == core->store) {
            pay_log_warn("webhook %s: attempt never recorded; it may be sent once more",
                         unsaved.ev[i].event_id);
            pay_webhook_event_clear(&unsaved.ev[i]);
            continue;
        }
        unsaved.store[kept] = unsaved.store[i];
        unsaved.ev[kept++] = unsaved.ev[i];
    }
    unsaved.n = kept;
    pthread_mutex_unlock(&unsaved.lock);
}

void pay_webhooks_deliver_due(pay_core *core)
{
    save_unsaved(core);
    pay_for_each_scope(core, deliver_scope, NULL);
}

typedef struct endpoint_job {
    pay_scope scope;
    int64_t now_us;
    const char *url;
} endpoint_job;

static pay_store_rc endpoint_fn(pay_tx *tx, void *arg)
{
    endpoint_job *job = arg;
    return tx->ops->endpoint_set(tx, job->scope, job->url, job->now_us);
}

bool pay_webhooks_set_endpoint(pay_core *core, pay_scope scope, int64_t now_us, const char *url,
                               pay_fault *f)
{
    if (url) {
        size_t n = strlen(url);
        bool scheme = strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
        bool clean = true;
        for (size_t i = 0; i < n; i++) clean &= (unsigned char)url[i] > 0x20 && url[i] != 0x7f;
        if (!scheme || !clean || n >= PAY_URL_MAX || n < 10) {
            pay_fault_setf(f, PAY_E_INVALID_REQUEST,
                           "url must be an http:// or https:// URL without spaces, under %d bytes",
                           PAY_URL_MAX);
            return false;
        }
    }
    endpoint_job job = {scope, now_us, url};
    pay_store_rc rc = pay_store_write(core->store, endpoint_fn, &job);
    if (rc != PAY_STORE_OK) {
        pay_fault_from_store(f, rc);
        return false;
    }
    return true;
}

typedef struct redeliver_job {
    pay_scope scope;
    int64_t now_us;
    const char *event_id;
} redeliver_job;

static pay_store_rc redeliver_fn(pay_tx *tx, void *arg)
{
    redeliver_job *job = arg;
    pay_webhook_event e;
    pay_store_rc rc = tx->ops->event_get(tx, job->scope, job->event_id, &e);
    if (rc != PAY_STORE_OK) return rc;
    e.status = PAY_EVENT_PENDING;
    e.next_attempt_at_us = job->now_us;
    rc = tx->ops->event_update(tx, &e);
    pay_webhook_event_clear(&e);
    return rc;
}

bool pay_webhooks_redeliver(pay_core *core, pay_scope scope, int64_t now_us, const char *event_id,
                            pay_fault *f)
{
    redeliver_job job = {scope, now_us, event_id};
    pay_store_rc rc = pay_store_write(core->store, redeliver_fn, &job);
    if (rc == PAY_STORE_NOTFOUND) {
        pay_fault_setf(f, PAY_E_NOT_FOUND, "webhook event %.64s not found", event_id);
        return false;
    }
    if (rc != PAY_STORE_OK) {
        pay_fault_from_store(f, rc);
        return false;
    }
    return true;
}
