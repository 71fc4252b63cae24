/* Reading a config: typed getters that fall back to the schema defaults, and the JSON views
 * used by the run metadata (the nested config, and the flat list of overridden keys). */
#include "core/config_internal.h"

#include <string.h>

/* The value of key (set, else its default, else NULL). *spec is the schema entry of an exact
 * key, NULL for a key below a "prefix.*" entry. A key outside the schema aborts. */
static const mlps_cfg_value *lookup(const mlps_config *cfg, const char *key, const char *getter,
                                    const mlps_cfg_key **spec)
{
    size_t index = 0;
    mlps_cfg_key_kind kind = mlps_cfg_classify(cfg->schema, key, &index);
    if (kind != MLPS_CFG_KEY_EXACT && kind != MLPS_CFG_KEY_WILDCARD)
        mlps_cfg_misuse(cfg->schema, "%s('%s'): not a key of the schema", getter, key);
    *spec = kind == MLPS_CFG_KEY_EXACT ? &cfg->schema->keys[index] : NULL;
    const mlps_cfg_entry *entry = mlps_cfg_find_entry(cfg, key);
    if (entry)
        return &entry->value;
    return (*spec && cfg->defaults[index].json) ? &cfg->defaults[index] : NULL;
}

static void require_type(const mlps_config *cfg, const mlps_cfg_key *spec, const char *getter,
                         bool allowed)
{
    if (spec && !allowed)
        mlps_cfg_misuse(cfg->schema, "%s('%s'): the key has another type", getter, spec->key);
}

int64_t mlps_config_get_int(const mlps_config *cfg, const char *key)
{
    const mlps_cfg_key *spec;
    const mlps_cfg_value *value = lookup(cfg, key, __func__, &spec);
    require_type(cfg, spec, __func__, spec && spec->type == MLPS_CFG_INT);
    int64_t result = 0;
    if (value && value->type == MLPS_CFG_INT)
        result = value->integer;
    else if (value && mlps_cfg_parse_int(value->text, &result) != 0)
        result = 0;
    return result;
}

double mlps_config_get_double(const mlps_config *cfg, const char *key)
{
    const mlps_cfg_key *spec;
    const mlps_cfg_value *value = lookup(cfg, key, __func__, &spec);
    require_type(cfg, spec, __func__,
                 spec && (spec->type == MLPS_CFG_INT || spec->type == MLPS_CFG_DOUBLE));
    double result = 0.0;
    if (value && value->type == MLPS_CFG_INT)
        result = (double)value->integer;
    else if (value && value->type == MLPS_CFG_DOUBLE)
        result = value->number;
    else if (value && mlps_cfg_parse_double(value->text, &result) != 0)
        result = 0.0;
    return result;
}

bool mlps_config_get_bool(const mlps_config *cfg, const char *key)
{
    const mlps_cfg_key *spec;
    const mlps_cfg_value *value = lookup(cfg, key, __func__, &spec);
    require_type(cfg, spec, __func__, spec && spec->type == MLPS_CFG_BOOL);
    bool result = false;
    if (value && value->type == MLPS_CFG_BOOL)
        result = value->boolean;
    else if (value && mlps_cfg_parse_bool(value->text, &result) != 0)
        result = false;
    return result;
}

const char *mlps_config_get_string(const mlps_config *cfg, const char *key)
{
    const mlps_cfg_key *spec;
    const mlps_cfg_value *value = lookup(cfg, key, __func__, &spec);
    require_type(cfg, spec, __func__, spec && spec->type != MLPS_CFG_SUBTREE);
    return value ? value->text : NULL;
}

json_t *mlps_config_get_json(const mlps_config *cfg, const char *key)
{
    const mlps_cfg_key *spec;
    const mlps_cfg_value *value = lookup(cfg, key, __func__, &spec);
    return value ? value->json : NULL;
}

bool mlps_config_has(const mlps_config *cfg, const char *key)
{
    const mlps_cfg_key *spec;
    lookup(cfg, key, __func__, &spec);
    return mlps_cfg_find_entry(cfg, key) != NULL;
}

/* Puts value at the dotted path key below root, creating the maps on the way. */
static int insert_at_path(json_t *root, const char *key, json_t *value)
{
    json_t *node = root;
    const char *component = key;
    for (const char *dot; (dot = strchr(component, '.')); component = dot + 1) {
        size_t length = (size_t)(dot - component);
        json_t *child = json_object_getn(node, component, length);
        if (!child && json_object_setn_new(node, component, length, child = json_object()) != 0)
            return -1;
        if (!json_is_object(child))
            return -1;
        node = child;
    }
    return json_object_set(node, component, value);
}

/* Inserts the values of schema key index: its own, or every key below a "prefix.*" entry. */
static int insert_schema_key(const mlps_config *cfg, size_t index, bool include_defaults,
                             json_t *root)
{
    const char *key = cfg->schema->keys[index].key;
    if (mlps_cfg_is_wildcard_key(key)) {
        for (size_t i = 0; i < cfg->entry_count; i++) {
            const mlps_cfg_entry *entry = &cfg->entries[i];
            if (entry->schema_index == index &&
                insert_at_path(root, entry->key, entry->value.json) != 0)
                return -1;
        }
        return 0;
    }
    const mlps_cfg_entry *entry = mlps_cfg_find_entry(cfg, key);
    const mlps_cfg_value *value = entry ? &entry->value
                                  : include_defaults ? &cfg->defaults[index]
                                                     : NULL;
    if (!value || !value->json)
        return 0;
    return insert_at_path(root, key, value->json);
}

json_t *mlps_config_to_json(const mlps_config *cfg, bool include_defaults)
{
    json_t *root = json_object();
    for (size_t i = 0; root && i < cfg->schema->count; i++) {
        if (insert_schema_key(cfg, i, include_defaults, root) != 0) {
            json_decref(root);
            root = NULL;
        }
    }
    return root;
}

json_t *mlps_config_overrides_to_json(const mlps_config *cfg)
{
    json_t *overrides = json_object();
    for (size_t rank = 1; overrides && rank <= cfg->override_count; rank++) {
        for (size_t i = 0; i < cfg->entry_count; i++) {
            const mlps_cfg_entry *entry = &cfg->entries[i];
            if (entry->override_rank == rank &&
                json_object_set(overrides, entry->key, entry->value.json) != 0) {
                json_decref(overrides);
                overrides = NULL;
                break;
            }
        }
    }
    return overrides;
}
