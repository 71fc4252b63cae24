/* BurstGPT trace replay (spec 30 §4.5): every usable row of the trace becomes one request of
 * user "trace_user_<i % 1000>" under the unique key "<user>_req_<i>", with a QoS class rolled
 * per request. Pacing follows the reference's sleeps: each row is due (timestamp − previous
 * timestamp) / speedup after the one before it when that gap is positive, a new pass starts
 * right after the last request of the previous one, and speedup 0 makes everything due at once.
 * After --replay-cycles passes (0 = forever) the source ends the run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvcache/burst_trace.h"
#include "kvcache/workload_source.h"

/* The reference names trace users modulo this many. */
#define TRACE_USERS 1000

typedef struct burst_source {
    mlps_kv_source base;
    const mlps_kv_settings *settings;
    const char *path;
    mlps_kv_burst_reader reader;
    mlps_rng rng;
    double speedup;
    uint64_t replay_cycles, cycles_done;
    bool ended;
    bool have_lookahead; /* the first row, read at open to prove the trace usable */
    mlps_kv_burst_row lookahead;
    uint64_t rows_in_cycle;
    uint64_t first_pass_rows_read, first_pass_rows_skipped;
    int64_t total_tokens; /* Σ Total tokens of the rows replayed */
    /* pacing of the current pass */
    uint64_t cycle_origin_ns, last_due_ns;
    double cycle_offset_s;
    bool have_previous;
    double previous_timestamp;
    uint64_t next_id;
} burst_source;

/* Ends a pass: false when the run must end (replay cycles done, or a pass without rows). */
static bool start_next_pass(burst_source *s, mlps_error *err, int *rc)
{
    s->cycles_done++;
    if (s->cycles_done == 1) {
        s->first_pass_rows_read = s->reader.rows_read;
        s->first_pass_rows_skipped = s->reader.rows_skipped;
    }
    if (s->rows_in_cycle == 0 || (s->replay_cycles > 0 && s->cycles_done >= s->replay_cycles))
        return false;
    *rc = mlps_kv_burst_reader_rewind(&s->reader, err);
    s->rows_in_cycle = 0;
    s->cycle_origin_ns = s->last_due_ns;
    s->cycle_offset_s = 0;
    s->have_previous = false;
    return *rc == 0;
}

/* 1 with the next row, 0 at the end of the replay, or a negative error. */
static int next_row(burst_source *s, mlps_kv_burst_row *row, mlps_error *err)
{
    if (s->have_lookahead) {
        s->have_lookahead = false;
        *row = s->lookahead;
        return 1;
    }
    for (int passes = 0; passes < 2; passes++) {
        int rc = mlps_kv_burst_reader_next(&s->reader, row, err);
        if (rc != 0)
            return rc;
        if (!start_next_pass(s, err, &rc))
            return rc;
    }
    return 0; /* the files lost their rows since the last pass */
}

static uint64_t due_of(burst_source *s, double timestamp)
{
    if (s->speedup > 0) {
        if (s->have_previous && timestamp > s->previous_timestamp)
            s->cycle_offset_s += (timestamp - s->previous_timestamp) / s->speedup;
        s->have_previous = true;
        s->previous_timestamp = timestamp;
    }
    s->last_due_ns = s->cycle_origin_ns + mlps_kv_seconds_to_ns(s->cycle_offset_s);
    return s->last_due_ns;
}

static int burst_next(mlps_kv_source *base, uint64_t now_ns, mlps_kv_request *out,
                      uint64_t *due_ns, mlps_error *err)
{
    (void)now_ns;
    burst_source *s = (burst_source *)base;
    if (s->ended)
        return MLPS_KV_NEXT_END;
    mlps_kv_burst_row row;
    int rc = next_row(s, &row, err);
    if (rc <= 0) {
        s->ended = true;
        return rc < 0 ? rc : MLPS_KV_NEXT_END;
    }
    s->rows_in_cycle++;
    s->total_tokens += row.total_tokens;
    mlps_kv_request_begin(out, s->next_id++);
    snprintf(out->user_id, sizeof out->user_id, "trace_user_%llu",
             (unsigned long long)(out->id % TRACE_USERS));
    snprintf(out->key, sizeof out->key, "%s_req_%04llu", out->user_id,
             (unsigned long long)out->id);
    out->context_tokens = row.context_tokens;
    out->generate_tokens = row.generate_tokens;
    mlps_kv_request_roll_qos(out, &s->rng, s->settings);
    out->phase = mlps_kv_phase_for_context(out->context_tokens);
    out->user_type = MLPS_KV_USER_CHATBOT;
    *due_ns = due_of(s, row.timestamp);
    return MLPS_KV_NEXT_REQUEST;
}

static int burst_active_users(const mlps_kv_source *base)
{
    (void)base;
    return TRACE_USERS;
}

static void burst_describe(mlps_kv_source *base, json_t *into)
{
    burst_source *s = (burst_source *)base;
    bool first_pass = s->cycles_done == 0;
    json_t *files = json_array();
    for (size_t i = 0; i < s->reader.file_count; i++)
        json_array_append_new(files, json_string(s->reader.files[i]));
    json_object_set_new(into, "trace_path", json_string(s->path));
    json_object_set_new(into, "trace_files", files);
    json_object_set_new(into, "users", json_integer(TRACE_USERS));
    json_object_set_new(into, "rows_read", json_integer((json_int_t)(
        first_pass ? s->reader.rows_read : s->first_pass_rows_read)));
    json_object_set_new(into, "rows_skipped", json_integer((json_int_t)(
        first_pass ? s->reader.rows_skipped : s->first_pass_rows_skipped)));
    json_object_set_new(into, "cycles_done", json_integer((json_int_t)s->cycles_done));
    json_object_set_new(into, "replay_cycles", json_integer((json_int_t)s->replay_cycles));
    json_object_set_new(into, "trace_speedup", json_real(s->speedup));
    json_object_set_new(into, "trace_total_tokens", json_integer((json_int_t)s->total_tokens));
    json_object_set_new(into, "token_counting", json_string("trace"));
}

static void burst_free(mlps_kv_source *base)
{
    burst_source *s = (burst_source *)base;
    mlps_kv_burst_reader_close(&s->reader);
    free(s);
}

static const mlps_kv_source_ops burst_ops = {
    .next = burst_next,
    .active_users = burst_active_users,
    .describe = burst_describe,
    .free = burst_free,
};

/* Reads up to the first usable row: a trace without one cannot drive a run. */
static int read_lookahead(burst_source *s, mlps_error *err)
{
    int rc = mlps_kv_burst_reader_next(&s->reader, &s->lookahead, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return mlps_fail_usage(err, -EINVAL,
                               "--burst-trace-path %s: no usable row in %zu file(s) (%llu rows "
                               "skipped); expected rows of Timestamp,Model,Request tokens,"
                               "Response tokens,Total tokens,Log Type",
                               s->path, s->reader.file_count,
                               (unsigned long long)s->reader.rows_skipped);
    s->have_lookahead = true;
    return 0;
}

int mlps_kv_burst_open(const mlps_kv_source_params *params, mlps_kv_source **out,
                       mlps_error *err)
{
    const mlps_kv_options *o = params->options;
    *out = NULL;
    char **files;
    size_t count;
    int rc = mlps_kv_burst_files_resolve(o->burst_trace_path, &files, &count, err);
    if (rc != 0)
        return rc;
    burst_source *s = calloc(1, sizeof *s);
    if (!s) {
        mlps_kv_burst_files_free(files, count);
        return mlps_fail(err, -ENOMEM, "--burst-trace-path %s: no memory", o->burst_trace_path);
    }
    s->base = (mlps_kv_source){.ops = &burst_ops, .mode = "burstgpt",
                               .settings = params->settings};
    s->settings = params->settings;
    s->path = o->burst_trace_path;
    s->speedup = o->trace_speedup;
    s->replay_cycles = o->replay_cycles > 0 ? (uint64_t)o->replay_cycles : 0;
    s->cycle_origin_ns = s->last_due_ns = params->start_ns;
    mlps_rng_stream(&s->rng, params->seed, MLPS_KV_STREAM_BURST);
    rc = mlps_kv_burst_reader_open(&s->reader, files, count, err);
    if (rc == 0)
        rc = read_lookahead(s, err);
    if (rc != 0) {
        burst_free(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}
