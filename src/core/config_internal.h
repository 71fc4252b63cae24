/* Shared internals of the config module (config*.c only): the stored values, the schema
 * lookup, the checked store used by both the file loader and overrides, scalar parsing,
 * YAML reading/writing and the nearest-key suggestion. */
#ifndef MLPS_CORE_CONFIG_INTERNAL_H
#define MLPS_CORE_CONFIG_INTERNAL_H

#include "core/config.h"

struct fy_diag;
struct fy_document;
struct fy_node;
struct fy_parser;

/* ---- values (config_value.c) ---- */

/* One typed value. It is present when json is non-NULL. */
typedef struct mlps_cfg_value {
    mlps_cfg_type type;
    char *text; /* the scalar as written; NULL for a SUBTREE */
    int64_t integer;
    double number;
    bool boolean;
    json_t *json; /* owned */
} mlps_cfg_value;

bool mlps_cfg_text_is_null(const char *text);
/* 0, -EINVAL when text is not of the type, -ERANGE when it does not fit. */
int mlps_cfg_parse_int(const char *text, int64_t *out);
int mlps_cfg_parse_double(const char *text, double *out);
int mlps_cfg_parse_bool(const char *text, bool *out);
/* The type YAML 1.1 gives an unquoted scalar: BOOL, INT, DOUBLE, else STRING. */
mlps_cfg_type mlps_cfg_infer_type(const char *text);
/* Unquoted scalar as JSON: null, boolean, integer, real or string. New reference. */
json_t *mlps_cfg_plain_scalar_to_json(const char *text);
/* Shortest text that reads back to the same double, always with '.' or an exponent. */
void mlps_cfg_format_double(double value, char *buf, size_t size);

/* Fills value from text parsed as type (not SUBTREE). Returns 0, -EINVAL, -ERANGE,
 * -EILSEQ (not UTF-8) or -ENOMEM; value is left empty on failure. */
int mlps_cfg_value_from_text(mlps_cfg_value *value, mlps_cfg_type type, const char *text);
/* Makes value a SUBTREE holding tree (the reference is stolen). */
void mlps_cfg_value_from_json(mlps_cfg_value *value, json_t *tree);
void mlps_cfg_value_clear(mlps_cfg_value *value);

/* ---- the config object and its checked store (config.c) ---- */

typedef struct mlps_cfg_entry {
    char *key;
    size_t schema_index;
    mlps_cfg_value value;
    unsigned file_generation; /* which load set it, 0 when never loaded from a file */
    int line;                 /* where that file set it, 0 unknown */
    size_t override_rank;     /* 1-based order of its first override, 0 when not overridden */
} mlps_cfg_entry;

struct mlps_config {
    const mlps_cfg_schema *schema;
    mlps_cfg_value *defaults; /* one per schema key, absent when it has no default */
    mlps_cfg_entry *entries;
    size_t entry_count;
    size_t entry_capacity;
    unsigned load_generation;
    size_t override_count;
};

/* Where a value came from, for messages and for the file-versus-override rules. */
typedef struct mlps_cfg_source {
    const char *file;   /* NULL for an override */
    int line;           /* 1-based, 0 when unknown */
    const char *origin; /* for overrides: "override", "-p", ... */
} mlps_cfg_source;

typedef enum mlps_cfg_key_kind {
    MLPS_CFG_KEY_UNKNOWN,
    MLPS_CFG_KEY_EXACT,    /* a schema key */
    MLPS_CFG_KEY_SECTION,  /* a proper prefix of schema keys: holds a mapping */
    MLPS_CFG_KEY_WILDCARD, /* below a "prefix.*" schema key */
} mlps_cfg_key_kind;

/* A schema that is inconsistent, or read in a way it does not allow: prints and aborts. */
__attribute__((noreturn, format(printf, 2, 3))) void
mlps_cfg_misuse(const mlps_cfg_schema *schema, const char *fmt, ...);

/* A "prefix.*" schema key. */
bool mlps_cfg_is_wildcard_key(const char *key);

mlps_cfg_entry *mlps_cfg_find_entry(const mlps_config *cfg, const char *key);

mlps_cfg_key_kind mlps_cfg_classify(const mlps_cfg_schema *schema, const char *key, size_t *index);

/* "in f.yaml line 3" or "from override". */
void mlps_cfg_describe_source(const mlps_cfg_source *src, char *buf, size_t size);

int mlps_cfg_fail_unknown_key(const mlps_config *cfg, const char *key,
                              const mlps_cfg_source *src, mlps_error *err);
/* A value given for a section: got_scalar its text, or got_kind ("a sequence"). */
int mlps_cfg_fail_section(const mlps_config *cfg, const char *key, const char *got_scalar,
                          const char *got_kind, const mlps_cfg_source *src, mlps_error *err);
/* got_kind: "a mapping" / "a sequence" where a scalar of type was expected. */
int mlps_cfg_fail_not_scalar(const char *key, mlps_cfg_type type, const char *got_kind,
                             const mlps_cfg_source *src, mlps_error *err);

/* Parses text as type (checking choices of schema key index) and stores it under key. */
int mlps_cfg_store_text(mlps_config *cfg, const char *key, size_t index, mlps_cfg_type type,
                        const char *text, const mlps_cfg_source *src, mlps_error *err);
/* Stores tree (stolen) as the SUBTREE value of key. */
int mlps_cfg_store_tree(mlps_config *cfg, const char *key, size_t index, json_t *tree,
                        const mlps_cfg_source *src, mlps_error *err);

/* ---- YAML (config_yaml.c) ---- */

typedef struct mlps_cfg_yaml_problem {
    char message[256];
    int line;   /* 1-based, 0 when unknown */
    int column; /* 1-based, 0 when unknown */
} mlps_cfg_yaml_problem;

/* One parsed YAML stream holding at most one document. */
typedef struct mlps_cfg_yaml {
    struct fy_diag *diag;
    struct fy_parser *parser;
    struct fy_document *doc; /* NULL for an empty stream */
} mlps_cfg_yaml;

/* Parses YAML from fp (kept open until close), or from text when fp is NULL. Returns 0,
 * -EINVAL with problem filled for invalid YAML or more than one document, or -ENOMEM. */
int mlps_cfg_yaml_open(mlps_cfg_yaml *yaml, FILE *fp, const char *text,
                       mlps_cfg_yaml_problem *problem);
void mlps_cfg_yaml_close(mlps_cfg_yaml *yaml);
/* The top node, NULL for an empty stream. */
struct fy_node *mlps_cfg_yaml_root(const mlps_cfg_yaml *yaml);
/* Parses text as one YAML value (empty text is null) into JSON. 0, -EINVAL or -ENOMEM. */
int mlps_cfg_yaml_text_to_json(const char *text, json_t **out, mlps_cfg_yaml_problem *problem);
/* 1-based line where node starts (scalars only), 0 when unknown. */
int mlps_cfg_yaml_line(struct fy_node *node);
bool mlps_cfg_yaml_is_null(struct fy_node *node);
/* "a mapping", "a sequence" or "a scalar". */
const char *mlps_cfg_yaml_kind(struct fy_node *node);
/* The node as JSON (plain scalars typed as YAML 1.1 would). NULL when a mapping key is not
 * a scalar, or out of memory. */
json_t *mlps_cfg_yaml_to_json(struct fy_node *node);
/* Writes a JSON object as block YAML (arrays in flow style). Returns 0 or -EIO. */
int mlps_cfg_yaml_emit(const json_t *object, FILE *out);

/* ---- suggestions (config_suggest.c) ---- */

/* Writes "did you mean 'x'?" for the nearest schema key, else the valid keys of the
 * deepest section that unknown lies in. */
void mlps_cfg_suggest(const mlps_cfg_schema *schema, const char *unknown, char *buf,
                      size_t size);

#endif
