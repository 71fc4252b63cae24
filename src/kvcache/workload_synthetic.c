/* Synthetic users (spec 30 §4.2–4.3): every user has a type, a QoS class and a think time
 * drawn once, then issues requests open loop, each think × U(0.8, 1.2) after the previous one
 * was due, never waiting for it to finish. The reference runs a sleeping thread per user; here
 * one heap of due times yields the same schedule to the run's single generator thread. A user
 * request may be followed by a RAG document request due at the same time. Autoscaling changes
 * which users (the lowest indexes) issue. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvcache/conversation.h"
#include "kvcache/due_heap.h"
#include "kvcache/workload_source.h"

typedef struct synthetic_user {
    char id[24];
    mlps_kv_user_type type;
    mlps_kv_qos qos;
    int64_t context_length, generation_length;
    double think_s;
    bool active;
    bool scheduled; /* has an entry in the heap */
    mlps_kv_conversation_ref conversation;
    uint64_t conversations_started;
} synthetic_user;

typedef struct synthetic_source {
    mlps_kv_source base;
    const mlps_kv_settings *settings;
    synthetic_user *users;
    int user_count, user_capacity;
    int active;        /* users [0, active) issue */
    int wanted_active; /* applied at the next `next`, which knows the time */
    mlps_kv_due_heap schedule;
    mlps_rng profile_rng, request_rng;
    bool multi_turn;
    mlps_kv_conversations conversations;
    const mlps_kv_rag_corpus *rag;
    int *rag_chunks; /* scratch for a retrieval's top-k picks */
    int rag_chunk_capacity;
    bool rag_pending;
    mlps_kv_request pending_rag;
    uint64_t pending_rag_due_ns;
    uint64_t next_id;
    uint64_t rag_requests;
} synthetic_source;

static const char *const user_type_names[MLPS_KV_USER_TYPE_COUNT] = {"chatbot", "coding",
                                                                       "document"};

/* Draws user `index`'s profile as the reference's generate_mixed_users does, from a stream of
 * its own: a user's profile does not depend on when autoscaling first needed it. */
static void draw_profile(synthetic_source *s, int index, synthetic_user *u)
{
    memset(u, 0, sizeof *u);
    snprintf(u->id, sizeof u->id, "user_%04d", index);
    u->type = (mlps_kv_user_type)mlps_rng_below(&s->profile_rng, MLPS_KV_USER_TYPE_COUNT);
    u->qos = mlps_kv_qos_for_roll(mlps_rng_uniform(&s->profile_rng), s->settings);
    const mlps_kv_user_template *t = &s->settings->templates[u->type];
    u->context_length = mlps_kv_randint(&s->profile_rng, t->context_min, t->context_max);
    u->generation_length = mlps_kv_randint(&s->profile_rng, t->generation_min, t->generation_max);
    u->think_s = mlps_kv_uniform(&s->profile_rng, t->think_min_s, t->think_max_s);
}

static int ensure_users(synthetic_source *s, int count, mlps_error *err)
{
    if (count <= s->user_count)
        return 0;
    if (count > s->user_capacity) {
        int capacity = s->user_capacity ? s->user_capacity : 16;
        while (capacity < count)
            capacity = capacity > INT32_MAX / 2 ? count : capacity * 2;
        synthetic_user *users = realloc(s->users, (size_t)capacity * sizeof *users);
        if (!users)
            return mlps_fail(err, -ENOMEM, "synthetic workload: no memory for %d users", count);
        s->users = users;
        s->user_capacity = capacity;
    }
    for (; s->user_count < count; s->user_count++)
        draw_profile(s, s->user_count, &s->users[s->user_count]);
    return 0;
}

/* think × U(0.8, 1.2): the reference's jittered pause before each request. */
static uint64_t think_ns(synthetic_source *s, const synthetic_user *u)
{
    return mlps_kv_seconds_to_ns(u->think_s * mlps_kv_uniform(&s->request_rng, 0.8, 1.2));
}

static int schedule(synthetic_source *s, int index, uint64_t due_ns, mlps_error *err)
{
    if (mlps_kv_due_heap_push(&s->schedule, due_ns, index) != 0)
        return mlps_fail(err, -ENOMEM, "synthetic workload: no memory to schedule user %d", index);
    s->users[index].scheduled = true;
    return 0;
}

/* Users joining start after one think time from now; a user still in the heap from before it
 * was stopped keeps its entry. */
static int start_users(synthetic_source *s, int from, int to, uint64_t now_ns, mlps_error *err)
{
    int rc = ensure_users(s, to, err);
    for (int i = from; rc == 0 && i < to; i++) {
        synthetic_user *u = &s->users[i];
        u->active = true;
        if (!u->scheduled)
            rc = schedule(s, i, now_ns + think_ns(s, u), err);
    }
    return rc;
}

static int apply_active_users(synthetic_source *s, uint64_t now_ns, mlps_error *err)
{
    int wanted = s->wanted_active;
    if (wanted == s->active)
        return 0;
    if (wanted > s->active) {
        int rc = start_users(s, s->active, wanted, now_ns, err);
        if (rc != 0)
            return rc;
    }
    for (int i = wanted; i < s->active; i++)
        s->users[i].active = false;
    s->active = wanted;
    return 0;
}

/* Ends the user's conversation with the configured probability or at the turn cap, and starts
 * one when there is none (also when the manager forgot it to make room). */
static void continue_or_start_conversation(synthetic_source *s, synthetic_user *u)
{
    mlps_kv_conversations *m = &s->conversations;
    if (mlps_kv_conversation_live(m, u->conversation) &&
        mlps_rng_uniform(&s->request_rng) < s->settings->end_conversation_probability)
        u->conversation.serial = 0;
    if (mlps_kv_conversation_full(m, u->conversation))
        u->conversation.serial = 0;
    if (!mlps_kv_conversation_live(m, u->conversation))
        u->conversation = mlps_kv_conversation_start(m, u->id, ++u->conversations_started);
}

static void build_user_request(synthetic_source *s, synthetic_user *u, mlps_kv_request *r)
{
    mlps_kv_request_begin(r, s->next_id++);
    snprintf(r->user_id, sizeof r->user_id, "%s", u->id);
    if (s->multi_turn)
        continue_or_start_conversation(s, u);
    int64_t c = u->context_length, g = u->generation_length;
    r->context_tokens = mlps_kv_randint(&s->request_rng, c / 4 > 1 ? c / 4 : 1, c);
    r->generate_tokens = mlps_kv_randint(&s->request_rng, g / 4 > 1 ? g / 4 : 1, g);
    if (s->multi_turn) {
        r->turn_number = mlps_kv_conversation_add_turn(&s->conversations, u->conversation,
                                                       r->context_tokens, r->generate_tokens,
                                                       r->key, sizeof r->key);
        snprintf(r->conversation_id, sizeof r->conversation_id, "%s",
                 mlps_kv_conversation_id(&s->conversations, u->conversation));
    } else {
        snprintf(r->key, sizeof r->key, "%s_req_%06" PRIu64, u->id, r->id);
    }
    r->qos = u->qos;
    r->priority = mlps_kv_qos_priority(u->qos, s->settings);
    r->phase = mlps_kv_phase_for_context(r->context_tokens);
    r->user_type = u->type;
}

/* The RAG request that may follow a user request: a random live document, its context the
 * tokens of the top-k chunks a retrieval picks (as the reference sizes it). */
static void maybe_queue_rag(synthetic_source *s, const mlps_kv_request *user_request,
                            uint64_t due_ns)
{
    const mlps_kv_rag_corpus *rag = s->rag;
    if (!rag || rag->doc_count == 0 ||
        mlps_rng_uniform(&s->request_rng) >= s->settings->rag_request_probability)
        return;
    int first = mlps_kv_rag_first_live_doc(rag);
    int doc = first + (int)mlps_rng_below(&s->request_rng, (uint64_t)(rag->doc_count - first));
    int *chunks = s->rag_chunks;
    int picked = mlps_kv_rag_pick_chunks(rag, doc, &s->request_rng, chunks, s->rag_chunk_capacity);
    mlps_kv_request *r = &s->pending_rag;
    mlps_kv_request_begin(r, s->next_id++);
    memcpy(r->user_id, user_request->user_id, sizeof r->user_id);
    snprintf(r->key, sizeof r->key, "rag_doc_%04d", doc);
    for (int i = 0; i < picked; i++)
        r->context_tokens += mlps_kv_rag_chunk_tokens(rag, doc, chunks[i]);
    r->generate_tokens = mlps_kv_randint(&s->request_rng, 50, 200);
    r->qos = user_request->qos;
    r->priority = user_request->priority;
    r->phase = MLPS_KV_REQ_DECODE;
    r->user_type = user_request->user_type;
    r->is_rag = true;
    r->rag_doc = doc;
    s->rag_pending = true;
    s->pending_rag_due_ns = due_ns;
}

/* The earliest due active user; stopped users leave the heap as they come up. */
static int pop_active_user(synthetic_source *s, mlps_kv_due *out)
{
    while (mlps_kv_due_heap_pop(&s->schedule, out)) {
        synthetic_user *u = &s->users[out->user];
        u->scheduled = false;
        if (u->active)
            return 0;
    }
    return -ENOENT;
}

static int synthetic_next(mlps_kv_source *base, uint64_t now_ns, mlps_kv_request *out,
                          uint64_t *due_ns, mlps_error *err)
{
    synthetic_source *s = (synthetic_source *)base;
    if (s->rag_pending) {
        s->rag_pending = false;
        s->rag_requests++;
        *out = s->pending_rag;
        *due_ns = s->pending_rag_due_ns;
        return MLPS_KV_NEXT_REQUEST;
    }
    int rc = apply_active_users(s, now_ns, err);
    if (rc != 0)
        return rc;
    mlps_kv_due due;
    if (pop_active_user(s, &due) != 0)
        return mlps_fail(err, -ENOENT, "synthetic workload: no active user to issue a request");
    synthetic_user *u = &s->users[due.user];
    build_user_request(s, u, out);
    *due_ns = due.due_ns;
    rc = schedule(s, due.user, due.due_ns + think_ns(s, u), err);
    if (rc != 0)
        return rc;
    maybe_queue_rag(s, out, due.due_ns);
    return MLPS_KV_NEXT_REQUEST;
}

/* The reference's --num-users limit, unless the autoscaler was allowed more. */
#define MLPS_KV_MAX_SYNTHETIC_USERS 100000

static void synthetic_set_active_users(mlps_kv_source *base, int users)
{
    synthetic_source *s = (synthetic_source *)base;
    int most = s->settings->autoscaler_max_users > MLPS_KV_MAX_SYNTHETIC_USERS
                   ? s->settings->autoscaler_max_users
                   : MLPS_KV_MAX_SYNTHETIC_USERS;
    s->wanted_active = users < 1 ? 1 : users > most ? most : users;
}

static int synthetic_active_users(const mlps_kv_source *base)
{
    return ((const synthetic_source *)base)->wanted_active;
}

static json_t *user_type_counts(const synthetic_source *s)
{
    int counts[MLPS_KV_USER_TYPE_COUNT] = {0};
    for (int i = 0; i < s->active && i < s->user_count; i++)
        counts[s->users[i].type]++;
    json_t *o = json_object();
    for (int t = 0; t < MLPS_KV_USER_TYPE_COUNT; t++)
        json_object_set_new(o, user_type_names[t], json_integer(counts[t]));
    return o;
}

static void synthetic_describe(mlps_kv_source *base, json_t *into)
{
    synthetic_source *s = (synthetic_source *)base;
    json_object_set_new(into, "users", json_integer(s->wanted_active));
    json_object_set_new(into, "user_types", user_type_counts(s));
    json_object_set_new(into, "multi_turn", json_boolean(s->multi_turn));
    json_object_set_new(into, "conversations_started",
                        json_integer((json_int_t)s->conversations.started));
    json_object_set_new(into, "conversations_forgotten",
                        json_integer((json_int_t)s->conversations.forgotten));
    json_object_set_new(into, "rag", json_boolean(s->rag != NULL));
    json_object_set_new(into, "rag_requests", json_integer((json_int_t)s->rag_requests));
    json_object_set_new(into, "token_counting", json_string("synthetic"));
}

static void synthetic_free(mlps_kv_source *base)
{
    synthetic_source *s = (synthetic_source *)base;
    mlps_kv_due_heap_free(&s->schedule);
    mlps_kv_conversations_free(&s->conversations);
    free(s->rag_chunks);
    free(s->users);
    free(s);
}

static int allocate_rag_scratch(synthetic_source *s, mlps_error *err)
{
    int k = s->settings->rag_top_k_chunks;
    s->rag_chunk_capacity = k > 0 ? k : 1;
    s->rag_chunks = calloc((size_t)s->rag_chunk_capacity, sizeof *s->rag_chunks);
    if (!s->rag_chunks)
        return mlps_fail(err, -ENOMEM, "synthetic workload: no memory for %d RAG chunk picks", k);
    return 0;
}

static const mlps_kv_source_ops synthetic_ops = {
    .next = synthetic_next,
    .set_active_users = synthetic_set_active_users,
    .active_users = synthetic_active_users,
    .describe = synthetic_describe,
    .free = synthetic_free,
};

int mlps_kv_synthetic_open(const mlps_kv_source_params *params, mlps_kv_source **out,
                           mlps_error *err)
{
    const mlps_kv_options *o = params->options;
    *out = NULL;
    if (o->num_users < 1 || o->num_users > INT32_MAX)
        return mlps_fail_usage(err, -EINVAL, "--num-users must be positive, got %lld",
                               (long long)o->num_users);
    synthetic_source *s = calloc(1, sizeof *s);
    if (!s)
        return mlps_fail(err, -ENOMEM, "synthetic workload: no memory");
    s->base = (mlps_kv_source){.ops = &synthetic_ops, .mode = "synthetic",
                               .settings = params->settings};
    s->settings = params->settings;
    s->multi_turn = !o->disable_multi_turn;
    s->rag = params->rag;
    mlps_kv_due_heap_init(&s->schedule);
    mlps_rng_stream(&s->profile_rng, params->seed, MLPS_KV_STREAM_USER_PROFILES);
    mlps_rng_stream(&s->request_rng, params->seed, MLPS_KV_STREAM_SYNTHETIC_REQUESTS);
    s->wanted_active = (int)o->num_users;
    int rc = mlps_kv_conversations_init(&s->conversations, params->settings->max_conversations,
                                        params->settings->max_turns_per_conv, err);
    if (rc == 0 && s->rag)
        rc = allocate_rag_scratch(s, err);
    if (rc == 0)
        rc = apply_active_users(s, params->start_ns, err);
    if (rc != 0) {
        synthetic_free(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}
