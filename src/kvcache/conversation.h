/* Multi-turn conversations of the synthetic users (spec 30 §4.2): each conversation has an id
 * "conv_<user>_<n>" (n counts the user's conversations, so runs reproduce), a turn counter whose
 * turn n is stored under "<id>_turn_<n>", and its cumulative tokens. At most `capacity`
 * conversations are kept; starting one more forgets the least recently used (its metadata only:
 * the cache entries stay). Callers hold a reference that tells whether it was forgotten. */
#ifndef MLPS_KVCACHE_CONVERSATION_H
#define MLPS_KVCACHE_CONVERSATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define MLPS_KV_CONVERSATION_ID_MAX 64

typedef struct mlps_kv_conversation_ref {
    int slot;
    uint64_t serial; /* 0: no conversation */
} mlps_kv_conversation_ref;

typedef struct mlps_kv_conversation {
    char id[MLPS_KV_CONVERSATION_ID_MAX];
    uint64_t serial;
    int turn_number; /* turns added so far */
    int64_t cumulative_tokens;
    int newer, older; /* recency list links; -1 at the ends */
} mlps_kv_conversation;

typedef struct mlps_kv_conversations {
    mlps_kv_conversation *slots;
    int capacity, count;
    int newest, oldest;
    int max_turns;
    uint64_t next_serial;
    uint64_t started, forgotten;
} mlps_kv_conversations;

/* capacity < 1 counts as 1; max_turns < 1 as unlimited. */
int mlps_kv_conversations_init(mlps_kv_conversations *m, int capacity, int max_turns,
                               mlps_error *err);
void mlps_kv_conversations_free(mlps_kv_conversations *m);

/* Starts "conv_<user_id>_<sequence>", forgetting the least recently used one when full. */
mlps_kv_conversation_ref mlps_kv_conversation_start(mlps_kv_conversations *m, const char *user_id,
                                                    uint64_t sequence);
/* False once the conversation was forgotten (or for a zero reference). */
bool mlps_kv_conversation_live(const mlps_kv_conversations *m, mlps_kv_conversation_ref ref);
/* True when it has max_turns turns: the next request must start a new one. */
bool mlps_kv_conversation_full(const mlps_kv_conversations *m, mlps_kv_conversation_ref ref);

/* Adds a turn, marks the conversation recently used and writes its key; returns the turn
 * number (1-based) or -ENOENT when the conversation was forgotten. */
int mlps_kv_conversation_add_turn(mlps_kv_conversations *m, mlps_kv_conversation_ref ref,
                                  int64_t user_tokens, int64_t assistant_tokens, char *key,
                                  size_t key_size);

/* The live conversation's fields, NULL / 0 once forgotten. */
const char *mlps_kv_conversation_id(const mlps_kv_conversations *m, mlps_kv_conversation_ref ref);
int mlps_kv_conversation_turns(const mlps_kv_conversations *m, mlps_kv_conversation_ref ref);
int64_t mlps_kv_conversation_tokens(const mlps_kv_conversations *m, mlps_kv_conversation_ref ref);

/* "<conversation_id>_turn_<turn>": the key of any turn, e.g. the history a turn reloads. */
void mlps_kv_conversation_turn_key(char *key, size_t size, const char *conversation_id, int turn);

#endif
