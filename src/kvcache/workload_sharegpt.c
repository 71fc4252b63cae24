/* ShareGPT replay (spec 30 §4.4): the dataset's conversations in a seeded shuffled order, every
 * turn pair of a conversation in turn, reshuffled for each cycle; requests spaced 1/rate apart
 * when --request-rate is set, else all due at once (the reference floods its queue). After
 * --replay-cycles full passes (0 = forever) the source ends the run, as the reference does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvcache/sharegpt.h"
#include "kvcache/workload_source.h"

typedef struct sharegpt_source {
    mlps_kv_source base;
    const mlps_kv_settings *settings;
    const char *path;
    mlps_kv_sharegpt_dataset dataset;
    uint64_t *order; /* conversation indexes of the current cycle */
    size_t position; /* into order */
    int turn;        /* into the current conversation's turns */
    uint64_t cycles_done, replay_cycles;
    mlps_rng rng;
    int64_t num_users;
    double request_rate;
    bool multi_turn;
    uint64_t start_ns, next_id;
} sharegpt_source;

static void shuffle_cycle(sharegpt_source *s)
{
    for (size_t i = 0; i < s->dataset.count; i++)
        s->order[i] = i;
    mlps_rng_shuffle_u64(&s->rng, s->order, s->dataset.count);
    s->position = 0;
    s->turn = 0;
}

/* Moves past a finished pass; false when the replay cycles are done. */
static bool continue_cycle(sharegpt_source *s)
{
    if (s->position < s->dataset.count)
        return true;
    s->cycles_done++;
    if (s->replay_cycles > 0 && s->cycles_done >= s->replay_cycles)
        return false;
    shuffle_cycle(s);
    return true;
}

static uint64_t due_of(const sharegpt_source *s, uint64_t id)
{
    if (s->request_rate <= 0)
        return s->start_ns;
    return s->start_ns + mlps_kv_seconds_to_ns((double)id / s->request_rate);
}

static int sharegpt_next(mlps_kv_source *base, uint64_t now_ns, mlps_kv_request *out,
                         uint64_t *due_ns, mlps_error *err)
{
    (void)now_ns, (void)err;
    sharegpt_source *s = (sharegpt_source *)base;
    if (!continue_cycle(s))
        return MLPS_KV_NEXT_END;
    const mlps_kv_sharegpt_conversation *c = &s->dataset.conversations[s->order[s->position]];
    const mlps_kv_sharegpt_turn *t = &c->turns[s->turn];
    if (++s->turn == c->turn_count) {
        s->turn = 0;
        s->position++;
    }
    mlps_kv_request_begin(out, s->next_id++);
    snprintf(out->user_id, sizeof out->user_id, "dataset_user_%lld",
             (long long)(out->id % (uint64_t)s->num_users));
    mlps_kv_conversation_turn_key(out->key, sizeof out->key, c->id, t->turn_number);
    if (s->multi_turn) {
        snprintf(out->conversation_id, sizeof out->conversation_id, "%s", c->id);
        out->turn_number = t->turn_number;
    }
    out->context_tokens = t->context_tokens;
    out->generate_tokens = t->generate_tokens;
    mlps_kv_request_roll_qos(out, &s->rng, s->settings);
    out->phase = mlps_kv_phase_for_context(out->context_tokens);
    out->user_type = MLPS_KV_USER_CHATBOT;
    *due_ns = due_of(s, out->id);
    return MLPS_KV_NEXT_REQUEST;
}

static int sharegpt_active_users(const mlps_kv_source *base)
{
    return (int)((const sharegpt_source *)base)->num_users;
}

static void sharegpt_describe(mlps_kv_source *base, json_t *into)
{
    sharegpt_source *s = (sharegpt_source *)base;
    json_object_set_new(into, "dataset_path", json_string(s->path));
    json_object_set_new(into, "users", json_integer((json_int_t)s->num_users));
    json_object_set_new(into, "entries_read", json_integer((json_int_t)s->dataset.entries_read));
    json_object_set_new(into, "conversations_loaded", json_integer((json_int_t)s->dataset.count));
    json_object_set_new(into, "pairs", json_integer((json_int_t)s->dataset.pairs));
    json_object_set_new(into, "cycles_done", json_integer((json_int_t)s->cycles_done));
    json_object_set_new(into, "replay_cycles", json_integer((json_int_t)s->replay_cycles));
    json_object_set_new(into, "token_counting", json_string("characters/4"));
}

static void sharegpt_free(mlps_kv_source *base)
{
    sharegpt_source *s = (sharegpt_source *)base;
    mlps_kv_sharegpt_dataset_free(&s->dataset);
    free(s->order);
    free(s);
}

static const mlps_kv_source_ops sharegpt_ops = {
    .next = sharegpt_next,
    .active_users = sharegpt_active_users,
    .describe = sharegpt_describe,
    .free = sharegpt_free,
};

int mlps_kv_sharegpt_open(const mlps_kv_source_params *params, mlps_kv_source **out,
                          mlps_error *err)
{
    const mlps_kv_options *o = params->options;
    *out = NULL;
    mlps_kv_sharegpt_dataset dataset;
    int rc = mlps_kv_sharegpt_load(o->dataset_path, o->max_conversations, &dataset, err);
    if (rc != 0)
        return rc;
    if (dataset.count == 0) {
        mlps_kv_sharegpt_dataset_free(&dataset);
        return 0;
    }
    sharegpt_source *s = calloc(1, sizeof *s);
    uint64_t *order = calloc(dataset.count, sizeof *order);
    if (!s || !order) {
        free(s);
        free(order);
        mlps_kv_sharegpt_dataset_free(&dataset);
        return mlps_fail(err, -ENOMEM, "--dataset-path %s: no memory", o->dataset_path);
    }
    s->base = (mlps_kv_source){.ops = &sharegpt_ops, .mode = "sharegpt",
                               .settings = params->settings};
    s->settings = params->settings;
    s->path = o->dataset_path;
    s->dataset = dataset;
    s->order = order;
    s->replay_cycles = o->replay_cycles > 0 ? (uint64_t)o->replay_cycles : 0;
    s->num_users = o->num_users > 0 ? o->num_users : 1;
    s->request_rate = o->request_rate;
    s->multi_turn = !o->disable_multi_turn;
    s->start_ns = params->start_ns;
    mlps_rng_stream(&s->rng, params->seed, MLPS_KV_STREAM_SHAREGPT);
    shuffle_cycle(s);
    *out = &s->base;
    return 0;
}
