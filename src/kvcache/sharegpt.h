/* A ShareGPT dataset reduced to what the replay needs (spec 30 §4.4): for each of the first
 * max_conversations conversations, its human→gpt turn pairs as token counts. Tokens are
 * counted as characters / 4 (at least 1; characters are Unicode code points, as Python counts
 * them), since there is no tokenizer here; context is capped at 16384 and generation at 2048
 * as in the reference. */
#ifndef MLPS_KVCACHE_SHAREGPT_H
#define MLPS_KVCACHE_SHAREGPT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "kvcache/conversation.h"

#define MLPS_KV_SHAREGPT_CONTEXT_CAP 16384
#define MLPS_KV_SHAREGPT_GENERATION_CAP 2048

typedef struct mlps_kv_sharegpt_turn {
    int64_t context_tokens, generate_tokens;
    int turn_number; /* i/2 + 1 for the pair (i, i+1) */
} mlps_kv_sharegpt_turn;

typedef struct mlps_kv_sharegpt_conversation {
    char id[MLPS_KV_CONVERSATION_ID_MAX]; /* the entry's id made safe as a file name */
    mlps_kv_sharegpt_turn *turns;
    int turn_count;
} mlps_kv_sharegpt_conversation;

typedef struct mlps_kv_sharegpt_dataset {
    mlps_kv_sharegpt_conversation *conversations; /* only those with at least one pair */
    size_t count;
    size_t entries_read; /* entries looked at: min(array length, max_conversations) */
    size_t pairs;
} mlps_kv_sharegpt_dataset;

/* Loads path; a file that is not JSON or not of the ShareGPT shape is a usage error naming
 * the file and the entry. A dataset without pairs loads with count 0. */
int mlps_kv_sharegpt_load(const char *path, int64_t max_conversations,
                          mlps_kv_sharegpt_dataset *d, mlps_error *err);
void mlps_kv_sharegpt_dataset_free(mlps_kv_sharegpt_dataset *d);

/* max(1, code points / 4) of a UTF-8 text. */
int64_t mlps_kv_sharegpt_count_tokens(const char *text, size_t bytes);

#endif
