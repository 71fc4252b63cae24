/* Config key suggestions: when a file or an override names a key the schema lacks, the
 * message offers the nearest valid key, comparing both the full dotted path (typos such as
 * "reader.read_thread") and its last component (a key put in the wrong section, such as a
 * top-level "read_threads"). Without a close match it lists what the section does hold. */
#include "core/config_internal.h"

#include "core/suggest.h"

#include <string.h>

/* Added when the last components match but the sections differ. */
enum { SECTION_MISMATCH_COST = 2 };

static size_t min_of(size_t a, size_t b) { return a < b ? a : b; }

/* Length of the section part of key ("reader" in "reader.read_threads"), 0 at top level. */
static size_t section_length(const char *key)
{
    const char *dot = strrchr(key, '.');
    return dot ? (size_t)(dot - key) : 0;
}

static size_t key_score(const char *unknown, const char *candidate)
{
    size_t full = mlps_edit_distance(unknown, candidate);
    size_t u_section = section_length(unknown), c_section = section_length(candidate);
    const char *u_last = unknown + u_section + (u_section ? 1 : 0);
    const char *c_last = candidate + c_section + (c_section ? 1 : 0);
    size_t last = mlps_edit_distance(u_last, c_last);
    bool same_section = u_section == c_section && strncmp(unknown, candidate, u_section) == 0;
    if (!same_section && last != SIZE_MAX)
        last += SECTION_MISMATCH_COST;
    return min_of(full, last);
}

static const char *nearest_key(const mlps_cfg_schema *schema, const char *unknown)
{
    size_t u_section = section_length(unknown);
    size_t last_length = strlen(unknown) - u_section - (u_section ? 1 : 0);
    size_t threshold = last_length / 3 > 2 ? last_length / 3 : 2;
    const char *best = NULL;
    size_t best_score = SIZE_MAX;
    for (size_t i = 0; i < schema->count; i++) {
        const char *candidate = schema->keys[i].key;
        if (mlps_cfg_is_wildcard_key(candidate))
            continue;
        size_t score = key_score(unknown, candidate);
        if (score < best_score) {
            best_score = score;
            best = candidate;
        }
    }
    return best_score <= threshold ? best : NULL;
}

/* The deepest prefix of unknown, at a dot, that is a section of the schema: its length. */
static size_t deepest_section(const mlps_cfg_schema *schema, const char *unknown)
{
    size_t deepest = 0;
    for (const char *dot = strchr(unknown, '.'); dot; dot = strchr(dot + 1, '.')) {
        size_t length = (size_t)(dot - unknown);
        for (size_t i = 0; i < schema->count; i++) {
            const char *key = schema->keys[i].key;
            if (strncmp(key, unknown, length + 1) == 0) {
                deepest = length;
                break;
            }
        }
    }
    return deepest;
}

/* Appends each distinct child name of the section (the first `section` bytes of prefix). */
static void list_children(const mlps_cfg_schema *schema, const char *prefix, size_t section,
                          char *buf, size_t size)
{
    size_t skip = section ? section + 1 : 0;
    size_t used = strlen(buf);
    for (size_t i = 0; i < schema->count && used + 1 < size; i++) {
        const char *key = schema->keys[i].key;
        if (section && strncmp(key, prefix, section + 1) != 0)
            continue;
        const char *child = key + skip;
        size_t child_length = strcspn(child, ".");
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *other = schema->keys[j].key;
            seen = (!section || strncmp(other, prefix, section + 1) == 0) &&
                   strncmp(other + skip, child, child_length) == 0 &&
                   (other[skip + child_length] == '.' || other[skip + child_length] == '\0');
        }
        if (seen)
            continue;
        int n = snprintf(buf + used, size - used, "%s%.*s", used ? ", " : "", (int)child_length,
                         child);
        used = n < 0 ? size : min_of(used + (size_t)n, size - 1);
    }
}

void mlps_cfg_suggest(const mlps_cfg_schema *schema, const char *unknown, char *buf, size_t size)
{
    const char *nearest = nearest_key(schema, unknown);
    if (nearest) {
        snprintf(buf, size, "did you mean '%s'?", nearest);
        return;
    }
    size_t section = deepest_section(schema, unknown);
    char children[512] = "";
    list_children(schema, unknown, section, children, sizeof children);
    if (section)
        snprintf(buf, size, "valid keys under '%.*s' are: %s", (int)section, unknown, children);
    else
        snprintf(buf, size, "valid top-level keys are: %s", children);
}
