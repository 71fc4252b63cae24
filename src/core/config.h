/* Workload configuration: every benchmark reads a DLIO-style YAML file of nested maps, applies
 * dotted command-line overrides ("reader.read_threads=8") on top, and then reads typed values
 * with defaults. Which keys exist, their types and defaults come from a static schema that the
 * benchmark supplies; anything else in the file or on the command line is a usage error that
 * names the key, where it came from, and the nearest valid key.
 *
 * Keys are full dotted paths ("dataset.num_files_train"). A schema key of type SUBTREE holds
 * any YAML value (typically a list of maps) as-is, handed out as JSON so that consumers need
 * no YAML library. A schema key ending in ".*" admits any key below that prefix holding any
 * scalar; its type is inferred the way YAML 1.1 would (bool, integer, float, else string).
 *
 * A null value in the file ("key:" or "key: ~") leaves the key unset, so its default applies.
 * An override always wins over the file, whichever is applied first. */
#ifndef MLPS_CORE_CONFIG_H
#define MLPS_CORE_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

typedef enum mlps_cfg_type {
    MLPS_CFG_INT,     /* decimal integer with optional sign, 64-bit */
    MLPS_CFG_DOUBLE,  /* finite number: integer or decimal/exponent form */
    MLPS_CFG_BOOL,    /* true/false, yes/no, on/off in YAML 1.1 spellings */
    MLPS_CFG_STRING,  /* any scalar; optionally restricted to choices */
    MLPS_CFG_SUBTREE, /* any YAML value (list, map or scalar), not validated inside */
} mlps_cfg_type;

typedef struct mlps_cfg_key {
    const char *key;                 /* dotted path, or "prefix.*" for any key below prefix */
    mlps_cfg_type type;              /* ignored for "prefix.*" keys */
    const char *default_value;       /* scalar text (YAML text for SUBTREE); NULL = no default */
    const char *const *choices;      /* STRING only: NULL-terminated allowed values, or NULL */
    const char *help;                /* one line for listings */
} mlps_cfg_key;

typedef struct mlps_cfg_schema {
    const char *name; /* e.g. "training", used in programming-error messages */
    const mlps_cfg_key *keys;
    size_t count;
} mlps_cfg_schema;

typedef struct mlps_config mlps_config;

/* Creates an empty config over schema, which must outlive it. An inconsistent schema (bad
 * default, duplicate key, a key that is also a section) is a programming error: it aborts
 * with a message. Returns NULL only when out of memory. */
mlps_config *mlps_config_new(const mlps_cfg_schema *schema);
void mlps_config_free(mlps_config *cfg);

const mlps_cfg_schema *mlps_config_schema(const mlps_config *cfg);

/* Reads the YAML file at path (one document, a mapping at the top) and sets every leaf it
 * holds. Every leaf must be a schema key of a matching type; a key set twice in the file is
 * an error, while a later file replaces what an earlier one set. On error the config may
 * hold part of the file. Returns 0, -ENOENT (or another -errno) when the file
 * cannot be read, -EINVAL for anything wrong inside it; always a usage error (exit 2). */
int mlps_config_load_file(mlps_config *cfg, const char *path, mlps_error *err);

/* Sets key from its text form as an override; origin says where it came from in messages
 * ("override" when NULL). SUBTREE values are parsed as YAML ("[1, 2]"). Returns 0 or
 * -EINVAL (usage error) leaving the config unchanged. */
int mlps_config_set(mlps_config *cfg, const char *key, const char *value, const char *origin,
                    mlps_error *err);

/* Applies "key=value"; the value is everything after the first '='. */
int mlps_config_apply_override(mlps_config *cfg, const char *assignment, mlps_error *err);

/* A new config over schema from the file at path with the overrides applied in order: what
 * every benchmark does with its workload file and -p values. *out is NULL on error. */
int mlps_config_load(const mlps_cfg_schema *schema, const char *path,
                     const char *const *overrides, size_t override_count, mlps_config **out,
                     mlps_error *err);

/* Typed reads: the value set by file or override, else the schema default, else 0 / false /
 * NULL. Asking for a key outside the schema, or an INT or BOOL from a key of another type,
 * is a programming error and aborts. get_double also reads INT keys; get_string reads any
 * scalar key as written. For keys under a "prefix.*" entry the stored scalar is converted,
 * and a scalar that does not convert reads as 0 / false. */
int64_t mlps_config_get_int(const mlps_config *cfg, const char *key);
double mlps_config_get_double(const mlps_config *cfg, const char *key);
bool mlps_config_get_bool(const mlps_config *cfg, const char *key);
const char *mlps_config_get_string(const mlps_config *cfg, const char *key);
/* The value of any key as JSON (a SUBTREE as converted from YAML), or NULL when it has
 * neither value nor default. Borrowed: valid until the key is set again or cfg is freed. */
json_t *mlps_config_get_json(const mlps_config *cfg, const char *key);

/* True when the file or an override set key (a default does not count). */
bool mlps_config_has(const mlps_config *cfg, const char *key);

/* The config as a nested JSON object in schema order: integers, reals, booleans, strings and
 * subtrees as JSON. New reference; NULL when out of memory. */
json_t *mlps_config_to_json(const mlps_config *cfg, bool include_defaults);
/* The overridden keys only, flat: {"reader.read_threads": 8}, in the order first set.
 * New reference; NULL when out of memory. */
json_t *mlps_config_overrides_to_json(const mlps_config *cfg);

/* Writes the config as nested YAML in schema order, which mlps_config_load_file reads back
 * to an equal config. Returns 0, -ENOMEM, or -EIO when writing failed. */
int mlps_config_write_yaml(const mlps_config *cfg, FILE *out, bool include_defaults);

#endif
