/* The config object: a schema, its parsed defaults, and the values set by a file or by
 * overrides. Every value enters through one checked store (type, choices, duplicates,
 * override-beats-file), so the file loader (config_load.c) and overrides behave alike. */
#include "core/config_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void mlps_cfg_misuse(const mlps_cfg_schema *schema, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mlps: config schema '%s' misused: ", schema->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* ---- schema lookup ---- */

bool mlps_cfg_is_wildcard_key(const char *key)
{
    size_t n = strlen(key);
    return n >= 2 && strcmp(key + n - 2, ".*") == 0;
}

/* True when key lies strictly below section: "reader.x" below "reader". */
static bool is_below(const char *key, const char *section, size_t section_length)
{
    return strncmp(key, section, section_length) == 0 && key[section_length] == '.';
}

static bool has_empty_component(const char *path)
{
    size_t n = strlen(path);
    return n == 0 || path[0] == '.' || path[n - 1] == '.' || strstr(path, "..");
}

mlps_cfg_key_kind mlps_cfg_classify(const mlps_cfg_schema *schema, const char *key, size_t *index)
{
    size_t length = strlen(key);
    for (size_t i = 0; i < schema->count; i++) {
        const char *candidate = schema->keys[i].key;
        if (!mlps_cfg_is_wildcard_key(candidate) && strcmp(candidate, key) == 0) {
            *index = i;
            return MLPS_CFG_KEY_EXACT;
        }
    }
    for (size_t i = 0; i < schema->count; i++) {
        if (is_below(schema->keys[i].key, key, length)) {
            *index = i;
            return MLPS_CFG_KEY_SECTION;
        }
    }
    for (size_t i = 0; i < schema->count; i++) {
        const char *candidate = schema->keys[i].key;
        size_t prefix = strlen(candidate) - 2;
        if (mlps_cfg_is_wildcard_key(candidate) && is_below(key, candidate, prefix) &&
            !has_empty_component(key + prefix + 1)) {
            *index = i;
            return MLPS_CFG_KEY_WILDCARD;
        }
    }
    return MLPS_CFG_KEY_UNKNOWN;
}

/* ---- creation: the schema is checked once, its defaults parsed once ---- */

static void parse_default(const mlps_cfg_schema *schema, size_t i, mlps_cfg_value *value)
{
    const mlps_cfg_key *spec = &schema->keys[i];
    if (spec->type == MLPS_CFG_SUBTREE) {
        json_t *tree;
        mlps_cfg_yaml_problem problem;
        if (mlps_cfg_yaml_text_to_json(spec->default_value, &tree, &problem) != 0)
            mlps_cfg_misuse(schema, "default of '%s' is not YAML: %s", spec->key,
                            problem.message);
        mlps_cfg_value_from_json(value, tree);
        return;
    }
    if (mlps_cfg_value_from_text(value, spec->type, spec->default_value) != 0)
        mlps_cfg_misuse(schema, "default '%s' of '%s' does not fit its type",
                        spec->default_value, spec->key);
}

static bool in_choices(const char *const *choices, const char *text)
{
    for (; *choices; choices++)
        if (strcmp(*choices, text) == 0)
            return true;
    return false;
}

static void check_key(const mlps_cfg_schema *schema, size_t i)
{
    const mlps_cfg_key *spec = &schema->keys[i];
    if (!spec->key || has_empty_component(spec->key))
        mlps_cfg_misuse(schema, "key %zu has an empty name or component", i);
    if (mlps_cfg_is_wildcard_key(spec->key) && (spec->default_value || spec->choices))
        mlps_cfg_misuse(schema, "'%s' matches many keys and cannot have a default or choices",
                        spec->key);
    if (spec->choices && spec->type != MLPS_CFG_STRING)
        mlps_cfg_misuse(schema, "'%s' has choices but is not a STRING", spec->key);
    if (spec->choices && spec->default_value && !in_choices(spec->choices, spec->default_value))
        mlps_cfg_misuse(schema, "default '%s' of '%s' is not one of its choices",
                        spec->default_value, spec->key);
    size_t length = strlen(spec->key);
    for (size_t j = 0; j < schema->count; j++) {
        const char *other = schema->keys[j].key;
        if (j < i && strcmp(other, spec->key) == 0)
            mlps_cfg_misuse(schema, "'%s' is listed twice", spec->key);
        if (!mlps_cfg_is_wildcard_key(spec->key) && is_below(other, spec->key, length))
            mlps_cfg_misuse(schema, "'%s' is both a value and the section of '%s'", spec->key,
                            other);
    }
}

mlps_config *mlps_config_new(const mlps_cfg_schema *schema)
{
    mlps_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return NULL;
    cfg->schema = schema;
    cfg->defaults = calloc(schema->count ? schema->count : 1, sizeof *cfg->defaults);
    if (!cfg->defaults) {
        free(cfg);
        return NULL;
    }
    for (size_t i = 0; i < schema->count; i++) {
        check_key(schema, i);
        if (schema->keys[i].default_value)
            parse_default(schema, i, &cfg->defaults[i]);
    }
    return cfg;
}

void mlps_config_free(mlps_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->schema->count; i++)
        mlps_cfg_value_clear(&cfg->defaults[i]);
    for (size_t i = 0; i < cfg->entry_count; i++) {
        free(cfg->entries[i].key);
        mlps_cfg_value_clear(&cfg->entries[i].value);
    }
    free(cfg->defaults);
    free(cfg->entries);
    free(cfg);
}

const mlps_cfg_schema *mlps_config_schema(const mlps_config *cfg) { return cfg->schema; }

/* ---- messages ---- */

void mlps_cfg_describe_source(const mlps_cfg_source *src, char *buf, size_t size)
{
    if (src->file && src->line > 0)
        snprintf(buf, size, "in %s line %d", src->file, src->line);
    else if (src->file)
        snprintf(buf, size, "in %s", src->file);
    else
        snprintf(buf, size, "from %s", src->origin ? src->origin : "override");
}

int mlps_cfg_fail_unknown_key(const mlps_config *cfg, const char *key,
                              const mlps_cfg_source *src, mlps_error *err)
{
    char where[300], hint[700];
    mlps_cfg_describe_source(src, where, sizeof where);
    mlps_cfg_suggest(cfg->schema, key, hint, sizeof hint);
    return mlps_fail_usage(err, -EINVAL, "unknown config key '%s' (%s); %s", key, where, hint);
}

int mlps_cfg_fail_section(const mlps_config *cfg, const char *key, const char *got_scalar,
                          const char *got_kind, const mlps_cfg_source *src, mlps_error *err)
{
    char where[300], got[160];
    mlps_cfg_describe_source(src, where, sizeof where);
    if (got_scalar)
        snprintf(got, sizeof got, "'%.100s'", got_scalar);
    else
        snprintf(got, sizeof got, "%s", got_kind);
    size_t index = 0;
    mlps_cfg_classify(cfg->schema, key, &index);
    return mlps_fail_usage(err, -EINVAL,
                           "config key '%s' is a section, not a value, got %s (%s); "
                           "set a key inside it such as '%s'",
                           key, got, where, cfg->schema->keys[index].key);
}

static const char *type_phrase(mlps_cfg_type type, int parse_rc)
{
    if (parse_rc == -EILSEQ)
        return "valid UTF-8 text";
    switch (type) {
    case MLPS_CFG_INT:
        return parse_rc == -ERANGE ? "an integer that fits in 64 bits" : "an integer";
    case MLPS_CFG_DOUBLE:
        return parse_rc == -ERANGE ? "a finite number" : "a number";
    case MLPS_CFG_BOOL:
        return "a boolean (true/false, yes/no, on/off)";
    case MLPS_CFG_STRING:
        return "a string";
    default:
        return "a YAML value";
    }
}

int mlps_cfg_fail_not_scalar(const char *key, mlps_cfg_type type, const char *got_kind,
                             const mlps_cfg_source *src, mlps_error *err)
{
    char where[300];
    mlps_cfg_describe_source(src, where, sizeof where);
    return mlps_fail_usage(err, -EINVAL, "config key '%s' must be %s, got %s (%s)", key,
                           type_phrase(type, 0), got_kind, where);
}

static int fail_choice(const mlps_cfg_key *spec, const char *key, const char *text,
                       const mlps_cfg_source *src, mlps_error *err)
{
    char where[300], valid[400] = "";
    mlps_cfg_describe_source(src, where, sizeof where);
    size_t used = 0;
    for (const char *const *choice = spec->choices; *choice && used < sizeof valid; choice++) {
        int n = snprintf(valid + used, sizeof valid - used, "%s%s", used ? ", " : "", *choice);
        used += n > 0 ? (size_t)n : 0;
    }
    return mlps_fail_usage(err, -EINVAL, "config key '%s' must be one of %s, got '%.100s' (%s)",
                           key, valid, text, where);
}

/* ---- the checked store ---- */

mlps_cfg_entry *mlps_cfg_find_entry(const mlps_config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->entry_count; i++)
        if (strcmp(cfg->entries[i].key, key) == 0)
            return &cfg->entries[i];
    return NULL;
}

static mlps_cfg_entry *add_entry(mlps_config *cfg, const char *key, size_t index)
{
    if (cfg->entry_count == cfg->entry_capacity) {
        size_t capacity = cfg->entry_capacity ? 2 * cfg->entry_capacity : 16;
        mlps_cfg_entry *entries = realloc(cfg->entries, capacity * sizeof *entries);
        if (!entries)
            return NULL;
        cfg->entries = entries;
        cfg->entry_capacity = capacity;
    }
    char *copy = strdup(key);
    if (!copy)
        return NULL;
    mlps_cfg_entry *entry = &cfg->entries[cfg->entry_count++];
    *entry = (mlps_cfg_entry){.key = copy, .schema_index = index};
    return entry;
}

/* Keys below one "prefix.*" nest as YAML maps, so one cannot be a section of another. */
static int check_wildcard_key(const mlps_config *cfg, const char *key, size_t index,
                              const mlps_cfg_source *src, mlps_error *err)
{
    char where[300];
    mlps_cfg_describe_source(src, where, sizeof where);
    json_t *probe = json_string(key);
    json_decref(probe);
    if (!probe)
        return mlps_fail_usage(err, -EINVAL, "config key '%s' is not valid UTF-8 (%s)", key,
                               where);
    for (size_t i = 0; i < cfg->entry_count; i++) {
        const char *other = cfg->entries[i].key;
        if (cfg->entries[i].schema_index != index)
            continue;
        if (is_below(other, key, strlen(key)) || is_below(key, other, strlen(other)))
            return mlps_fail_usage(err, -EINVAL,
                                   "config key '%s' (%s) conflicts with '%s': a key cannot hold "
                                   "both a value and keys below it",
                                   key, where, other);
    }
    return 0;
}

static int store(mlps_config *cfg, const char *key, size_t index, mlps_cfg_value *value,
                 const mlps_cfg_source *src, mlps_error *err)
{
    mlps_cfg_entry *entry = mlps_cfg_find_entry(cfg, key);
    int rc = 0;
    if (entry && src->file && entry->file_generation == cfg->load_generation)
        rc = mlps_fail_usage(err, -EINVAL,
                             "config key '%s' is set twice in %s (line %d and line %d)", key,
                             src->file, entry->line, src->line);
    else if (!entry && mlps_cfg_is_wildcard_key(cfg->schema->keys[index].key))
        rc = check_wildcard_key(cfg, key, index, src, err);
    if (rc == 0 && !entry && !(entry = add_entry(cfg, key, index)))
        rc = mlps_fail(err, -ENOMEM, "out of memory storing config key '%s'", key);
    if (rc != 0) {
        mlps_cfg_value_clear(value);
        return rc;
    }
    if (src->file) {
        entry->file_generation = cfg->load_generation;
        entry->line = src->line;
        if (entry->override_rank) {
            mlps_cfg_value_clear(value);
            return 0;
        }
    } else if (!entry->override_rank) {
        entry->override_rank = ++cfg->override_count;
    }
    mlps_cfg_value_clear(&entry->value);
    entry->value = *value;
    return 0;
}

int mlps_cfg_store_text(mlps_config *cfg, const char *key, size_t index, mlps_cfg_type type,
                        const char *text, const mlps_cfg_source *src, mlps_error *err)
{
    mlps_cfg_value value;
    int rc = mlps_cfg_value_from_text(&value, type, text);
    if (rc == -ENOMEM)
        return mlps_fail(err, -ENOMEM, "out of memory storing config key '%s'", key);
    if (rc != 0) {
        char where[300];
        mlps_cfg_describe_source(src, where, sizeof where);
        return mlps_fail_usage(err, -EINVAL, "config key '%s' must be %s, got '%.100s' (%s)", key,
                               type_phrase(type, rc), text, where);
    }
    const mlps_cfg_key *spec = &cfg->schema->keys[index];
    if (spec->choices && !in_choices(spec->choices, text)) {
        mlps_cfg_value_clear(&value);
        return fail_choice(spec, key, text, src, err);
    }
    return store(cfg, key, index, &value, src, err);
}

int mlps_cfg_store_tree(mlps_config *cfg, const char *key, size_t index, json_t *tree,
                        const mlps_cfg_source *src, mlps_error *err)
{
    if (!tree)
        return mlps_fail_usage(err, -EINVAL, "config key '%s' holds a mapping key that is not a "
                               "scalar", key);
    mlps_cfg_value value;
    mlps_cfg_value_from_json(&value, tree);
    return store(cfg, key, index, &value, src, err);
}

/* ---- overrides ---- */

static int set_subtree(mlps_config *cfg, const char *key, size_t index, const char *text,
                       const mlps_cfg_source *src, mlps_error *err)
{
    json_t *tree;
    mlps_cfg_yaml_problem problem;
    int rc = mlps_cfg_yaml_text_to_json(text, &tree, &problem);
    if (rc == -ENOMEM)
        return mlps_fail(err, rc, "out of memory storing config key '%s'", key);
    if (rc != 0) {
        char where[300];
        mlps_cfg_describe_source(src, where, sizeof where);
        return mlps_fail_usage(err, -EINVAL, "config key '%s' must be a YAML value, got '%.100s' "
                               "(%s): %s", key, text, where, problem.message);
    }
    return mlps_cfg_store_tree(cfg, key, index, tree, src, err);
}

int mlps_config_set(mlps_config *cfg, const char *key, const char *value, const char *origin,
                    mlps_error *err)
{
    mlps_cfg_source src = {.origin = origin ? origin : "override"};
    size_t index = 0;
    switch (mlps_cfg_classify(cfg->schema, key, &index)) {
    case MLPS_CFG_KEY_EXACT:
        if (cfg->schema->keys[index].type == MLPS_CFG_SUBTREE)
            return set_subtree(cfg, key, index, value, &src, err);
        return mlps_cfg_store_text(cfg, key, index, cfg->schema->keys[index].type, value, &src,
                                   err);
    case MLPS_CFG_KEY_WILDCARD:
        return mlps_cfg_store_text(cfg, key, index, mlps_cfg_infer_type(value), value, &src, err);
    case MLPS_CFG_KEY_SECTION:
        return mlps_cfg_fail_section(cfg, key, value, NULL, &src, err);
    default:
        return mlps_cfg_fail_unknown_key(cfg, key, &src, err);
    }
}

int mlps_config_apply_override(mlps_config *cfg, const char *assignment, mlps_error *err)
{
    const char *equals = strchr(assignment, '=');
    if (!equals)
        return mlps_fail_usage(err, -EINVAL, "invalid override '%s': expected the form key=value",
                               assignment);
    if (equals == assignment)
        return mlps_fail_usage(err, -EINVAL, "invalid override '%s': the key is empty; expected "
                               "the form key=value", assignment);
    char *key = strndup(assignment, (size_t)(equals - assignment));
    if (!key)
        return mlps_fail(err, -ENOMEM, "out of memory applying override '%s'", assignment);
    int rc = mlps_config_set(cfg, key, equals + 1, "override", err);
    free(key);
    return rc;
}
