/* The KV cache's metadata structures: a chained hash table from key to entry, and per tier a
 * doubly linked list from least to most recently used (see cache_internal.h). All callers hold
 * the cache lock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvcache/cache_internal.h"

static uint64_t hash_key(const char *key)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * UINT64_C(0x100000001b3);
    return h;
}

kv_entry *kv_table_find(mlps_kv_cache *c, const char *key)
{
    if (c->bucket_count == 0)
        return NULL;
    kv_entry *e = c->buckets[hash_key(key) % c->bucket_count];
    while (e && strcmp(e->key, key) != 0)
        e = e->hash_next;
    return e;
}

static int grow_table(mlps_kv_cache *c)
{
    size_t count = c->bucket_count ? c->bucket_count * 2 : 1024;
    kv_entry **buckets = calloc(count, sizeof *buckets);
    if (!buckets)
        return -ENOMEM;
    for (size_t i = 0; i < c->bucket_count; i++) {
        kv_entry *e = c->buckets[i];
        while (e) {
            kv_entry *next = e->hash_next;
            size_t b = hash_key(e->key) % count;
            e->hash_next = buckets[b];
            buckets[b] = e;
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = buckets;
    c->bucket_count = count;
    return 0;
}

int kv_table_insert(mlps_kv_cache *c, kv_entry *e)
{
    if (c->entry_count >= c->bucket_count && grow_table(c) != 0)
        return -ENOMEM;
    size_t b = hash_key(e->key) % c->bucket_count;
    e->hash_next = c->buckets[b];
    c->buckets[b] = e;
    c->entry_count++;
    return 0;
}

void kv_table_remove(mlps_kv_cache *c, kv_entry *e)
{
    kv_entry **link = &c->buckets[hash_key(e->key) % c->bucket_count];
    while (*link && *link != e)
        link = &(*link)->hash_next;
    if (*link) {
        *link = e->hash_next;
        c->entry_count--;
    }
}

void kv_entry_free(kv_entry *e)
{
    if (e) {
        free(e->key);
        free(e);
    }
}

void kv_tier_list_insert(kv_tier_state *t, kv_entry *e)
{
    kv_entry *after = t->newest;
    while (after && after->last_access > e->last_access)
        after = after->lru_prev;
    e->lru_prev = after;
    e->lru_next = after ? after->lru_next : t->oldest;
    if (e->lru_next)
        e->lru_next->lru_prev = e;
    else
        t->newest = e;
    if (after)
        after->lru_next = e;
    else
        t->oldest = e;
    t->entries++;
    t->listed_bytes += e->bytes;
}

void kv_tier_list_remove(kv_tier_state *t, kv_entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        t->oldest = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        t->newest = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
    t->entries--;
    t->listed_bytes -= e->bytes;
}

kv_entry *kv_tier_oldest_idle(kv_tier_state *t)
{
    kv_entry *e = t->oldest;
    while (e && e->readers > 0)
        e = e->lru_next;
    return e;
}
