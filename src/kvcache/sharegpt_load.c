/* Reading a ShareGPT JSON file into turn pairs (see sharegpt.h). The reference swallows a
 * malformed file and silently replays synthetic users instead; here the shape is checked and a
 * wrong one is a usage error that says which entry is wrong and how. */
#include "kvcache/sharegpt.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t mlps_kv_sharegpt_count_tokens(const char *text, size_t bytes)
{
    size_t code_points = 0;
    for (size_t i = 0; i < bytes; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            code_points++;
    int64_t tokens = (int64_t)(code_points / 4);
    return tokens < 1 ? 1 : tokens;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* Keys become file names in the storage tier: anything but [A-Za-z0-9._-] becomes '_'. */
static void set_safe_id(char *id, size_t size, const char *text)
{
    snprintf(id, size, "%s", text);
    for (char *p = id; *p; p++) {
        bool safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-';
        if (!safe)
            *p = '_';
    }
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        id[0] = '_';
}

/* The entry's "id" (a string or an integer), else "conv_<index>" as in the reference. */
static int read_id(const char *path, size_t index, const json_t *entry, char *id, size_t size,
                   mlps_error *err)
{
    const json_t *v = json_object_get(entry, "id");
    char text[MLPS_KV_CONVERSATION_ID_MAX];
    if (!v)
        snprintf(text, sizeof text, "conv_%zu", index);
    else if (json_is_string(v))
        snprintf(text, sizeof text, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        return mlps_fail_usage(err, -EINVAL,
                               "--dataset-path %s: entry %zu has an 'id' that is %s; expected a string",
                               path, index, json_kind(v));
    set_safe_id(id, size, text);
    return 0;
}

/* One message of a pair: its speaker ("" when absent or not a string) and its text. */
static int read_message(const char *path, size_t index, const json_t *turns, size_t i,
                        const char **from, int64_t *tokens, mlps_error *err)
{
    const json_t *m = json_array_get(turns, i);
    if (!json_is_object(m))
        return mlps_fail_usage(err, -EINVAL,
                               "--dataset-path %s: entry %zu conversations[%zu] is %s; expected an "
                               "object {\"from\": \"human\"|\"gpt\", \"value\": text}",
                               path, index, i, json_kind(m));
    const json_t *f = json_object_get(m, "from");
    *from = json_is_string(f) ? json_string_value(f) : "";
    const json_t *v = json_object_get(m, "value");
    if (v && !json_is_string(v))
        return mlps_fail_usage(err, -EINVAL,
                               "--dataset-path %s: entry %zu conversations[%zu] has a 'value' that "
                               "is %s; expected a string",
                               path, index, i, json_kind(v));
    *tokens = v ? mlps_kv_sharegpt_count_tokens(json_string_value(v), json_string_length(v))
                : 1;
    return 0;
}

static int64_t cap(int64_t tokens, int64_t limit)
{
    return tokens < limit ? tokens : limit;
}

/* The human→gpt pairs (i, i+1), i even, of one entry; pairs of other speakers are skipped. */
static int read_pairs(const char *path, size_t index, const json_t *turns,
                      mlps_kv_sharegpt_conversation *c, mlps_error *err)
{
    size_t n = json_array_size(turns);
    c->turns = n >= 2 ? calloc(n / 2, sizeof *c->turns) : NULL;
    if (n >= 2 && !c->turns)
        return mlps_fail(err, -ENOMEM, "--dataset-path %s: no memory for entry %zu", path, index);
    for (size_t i = 0; i + 1 < n; i += 2) {
        const char *human, *gpt;
        int64_t context, generation;
        int rc = read_message(path, index, turns, i, &human, &context, err);
        if (rc == 0)
            rc = read_message(path, index, turns, i + 1, &gpt, &generation, err);
        if (rc != 0)
            return rc;
        if (strcmp(human, "human") != 0 || strcmp(gpt, "gpt") != 0)
            continue;
        c->turns[c->turn_count++] = (mlps_kv_sharegpt_turn){
            .context_tokens = cap(context, MLPS_KV_SHAREGPT_CONTEXT_CAP),
            .generate_tokens = cap(generation, MLPS_KV_SHAREGPT_GENERATION_CAP),
            .turn_number = (int)(i / 2 + 1),
        };
    }
    return 0;
}

static int read_entry(const char *path, size_t index, const json_t *entry,
                      mlps_kv_sharegpt_dataset *d, mlps_error *err)
{
    if (!json_is_object(entry))
        return mlps_fail_usage(err, -EINVAL,
                               "--dataset-path %s: entry %zu is %s; expected an object with "
                               "'id' and 'conversations'",
                               path, index, json_kind(entry));
    const json_t *turns = json_object_get(entry, "conversations");
    if (!json_is_array(turns))
        return mlps_fail_usage(err, -EINVAL,
                               "--dataset-path %s: entry %zu has no 'conversations' list", path,
                               index);
    mlps_kv_sharegpt_conversation *c = &d->conversations[d->count];
    memset(c, 0, sizeof *c);
    int rc = read_id(path, index, entry, c->id, sizeof c->id, err);
    if (rc == 0)
        rc = read_pairs(path, index, turns, c, err);
    if (rc != 0 || c->turn_count == 0) {
        free(c->turns);
        c->turns = NULL;
        return rc;
    }
    d->pairs += (size_t)c->turn_count;
    d->count++;
    return 0;
}

static int read_entries(const char *path, const json_t *root, int64_t max_conversations,
                        mlps_kv_sharegpt_dataset *d, mlps_error *err)
{
    size_t n = json_array_size(root);
    if (max_conversations >= 0 && (uint64_t)max_conversations < n)
        n = (size_t)max_conversations;
    d->conversations = n ? calloc(n, sizeof *d->conversations) : NULL;
    if (n && !d->conversations)
        return mlps_fail(err, -ENOMEM, "--dataset-path %s: no memory for %zu conversations", path,
                         n);
    for (size_t i = 0; i < n; i++) {
        int rc = read_entry(path, i, json_array_get(root, i), d, err);
        if (rc != 0)
            return rc;
        d->entries_read++;
    }
    return 0;
}

int mlps_kv_sharegpt_load(const char *path, int64_t max_conversations,
                          mlps_kv_sharegpt_dataset *d, mlps_error *err)
{
    memset(d, 0, sizeof *d);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        return mlps_fail_usage(err, -EINVAL,
                               "--dataset-path %s: not a readable JSON file (line %d: %s); expected "
                               "a ShareGPT JSON array of conversations",
                               path, jerr.line, jerr.text);
    int rc;
    if (!json_is_array(root))
        rc = mlps_fail_usage(err, -EINVAL,
                             "--dataset-path %s: the top level is %s; expected a JSON array of "
                             "{\"id\", \"conversations\"} objects",
                             path, json_kind(root));
    else
        rc = read_entries(path, root, max_conversations, d, err);
    json_decref(root);
    if (rc != 0)
        mlps_kv_sharegpt_dataset_free(d);
    return rc;
}

void mlps_kv_sharegpt_dataset_free(mlps_kv_sharegpt_dataset *d)
{
    for (size_t i = 0; i < d->count; i++)
        free(d->conversations[i].turns);
    free(d->conversations);
    memset(d, 0, sizeof *d);
}
