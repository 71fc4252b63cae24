/* The conversation manager: a fixed table of conversation slots threaded on a recency list,
 * so marking one used and forgetting the least recently used are both O(1) however many users
 * share it. A reference carries the serial of the conversation it named; a slot reused for a
 * newer conversation has a different serial, which is how a forgotten one is recognised. */
#include "kvcache/conversation.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mlps_kv_conversations_init(mlps_kv_conversations *m, int capacity, int max_turns,
                               mlps_error *err)
{
    memset(m, 0, sizeof *m);
    m->capacity = capacity < 1 ? 1 : capacity;
    m->max_turns = max_turns;
    m->newest = m->oldest = -1;
    m->next_serial = 1;
    m->slots = calloc((size_t)m->capacity, sizeof *m->slots);
    if (!m->slots)
        return mlps_fail(err, -ENOMEM, "conversation manager: no memory for %d conversations",
                         m->capacity);
    return 0;
}

void mlps_kv_conversations_free(mlps_kv_conversations *m)
{
    free(m->slots);
    m->slots = NULL;
}

static void unlink_slot(mlps_kv_conversations *m, int slot)
{
    mlps_kv_conversation *c = &m->slots[slot];
    if (c->newer >= 0)
        m->slots[c->newer].older = c->older;
    else
        m->newest = c->older;
    if (c->older >= 0)
        m->slots[c->older].newer = c->newer;
    else
        m->oldest = c->newer;
}

static void link_newest(mlps_kv_conversations *m, int slot)
{
    mlps_kv_conversation *c = &m->slots[slot];
    c->newer = -1;
    c->older = m->newest;
    if (m->newest >= 0)
        m->slots[m->newest].newer = slot;
    m->newest = slot;
    if (m->oldest < 0)
        m->oldest = slot;
}

/* A free slot while there is room, else the least recently used one, forgotten. */
static int claim_slot(mlps_kv_conversations *m)
{
    if (m->count < m->capacity)
        return m->count++;
    int slot = m->oldest;
    unlink_slot(m, slot);
    m->forgotten++;
    return slot;
}

mlps_kv_conversation_ref mlps_kv_conversation_start(mlps_kv_conversations *m, const char *user_id,
                                                    uint64_t sequence)
{
    int slot = claim_slot(m);
    mlps_kv_conversation *c = &m->slots[slot];
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "conv_%s_%" PRIu64, user_id, sequence);
    c->serial = m->next_serial++;
    link_newest(m, slot);
    m->started++;
    return (mlps_kv_conversation_ref){.slot = slot, .serial = c->serial};
}

static mlps_kv_conversation *find(const mlps_kv_conversations *m, mlps_kv_conversation_ref ref)
{
    if (ref.serial == 0 || ref.slot < 0 || ref.slot >= m->count)
        return NULL;
    mlps_kv_conversation *c = &m->slots[ref.slot];
    return c->serial == ref.serial ? c : NULL;
}

bool mlps_kv_conversation_live(const mlps_kv_conversations *m, mlps_kv_conversation_ref ref)
{
    return find(m, ref) != NULL;
}

bool mlps_kv_conversation_full(const mlps_kv_conversations *m, mlps_kv_conversation_ref ref)
{
    const mlps_kv_conversation *c = find(m, ref);
    return c && m->max_turns > 0 && c->turn_number >= m->max_turns;
}

int mlps_kv_conversation_add_turn(mlps_kv_conversations *m, mlps_kv_conversation_ref ref,
                                  int64_t user_tokens, int64_t assistant_tokens, char *key,
                                  size_t key_size)
{
    mlps_kv_conversation *c = find(m, ref);
    if (!c)
        return -ENOENT;
    c->turn_number++;
    c->cumulative_tokens += user_tokens + assistant_tokens;
    unlink_slot(m, ref.slot);
    link_newest(m, ref.slot);
    mlps_kv_conversation_turn_key(key, key_size, c->id, c->turn_number);
    return c->turn_number;
}

const char *mlps_kv_conversation_id(const mlps_kv_conversations *m, mlps_kv_conversation_ref ref)
{
    const mlps_kv_conversation *c = find(m, ref);
    return c ? c->id : NULL;
}

int mlps_kv_conversation_turns(const mlps_kv_conversations *m, mlps_kv_conversation_ref ref)
{
    const mlps_kv_conversation *c = find(m, ref);
    return c ? c->turn_number : 0;
}

int64_t mlps_kv_conversation_tokens(const mlps_kv_conversations *m, mlps_kv_conversation_ref ref)
{
    const mlps_kv_conversation *c = find(m, ref);
    return c ? c->cumulative_tokens : 0;
}

void mlps_kv_conversation_turn_key(char *key, size_t size, const char *conversation_id, int turn)
{
    snprintf(key, size, "%s_turn_%d", conversation_id, turn);
}
