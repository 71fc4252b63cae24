/* Config YAML: parsing with libfyaml (its diagnostics collected, not printed, so that the
 * config layer reports one line of its own), converting nodes to JSON for opaque subtrees,
 * and writing a config back out as YAML that the loader reads to the same values. */
#include "core/config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

static void discard_diagnostic(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag, (void)user, (void)buf, (void)len;
}

static void first_problem(struct fy_diag *diag, mlps_cfg_yaml_problem *problem)
{
    *problem = (mlps_cfg_yaml_problem){0};
    snprintf(problem->message, sizeof problem->message, "invalid YAML");
    void *iter = NULL;
    struct fy_diag_error *error;
    while ((error = fy_diag_errors_iterate(diag, &iter))) {
        if (error->type < FYET_ERROR)
            continue;
        snprintf(problem->message, sizeof problem->message, "%s", error->msg);
        problem->line = error->line;
        problem->column = error->column;
        return;
    }
}

static int fail_parse(mlps_cfg_yaml *yaml, mlps_cfg_yaml_problem *problem)
{
    first_problem(yaml->diag, problem);
    mlps_cfg_yaml_close(yaml);
    return -EINVAL;
}

int mlps_cfg_yaml_open(mlps_cfg_yaml *yaml, FILE *fp, const char *text,
                       mlps_cfg_yaml_problem *problem)
{
    *yaml = (mlps_cfg_yaml){0};
    struct fy_diag_cfg diag_cfg;
    fy_diag_cfg_default(&diag_cfg);
    diag_cfg.fp = NULL;
    diag_cfg.output_fn = discard_diagnostic;
    diag_cfg.level = FYET_ERROR;
    yaml->diag = fy_diag_create(&diag_cfg);
    if (!yaml->diag)
        return -ENOMEM;
    fy_diag_set_collect_errors(yaml->diag, true);
    struct fy_parse_cfg parse_cfg = {
        .flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT,
        .diag = yaml->diag,
    };
    yaml->parser = fy_parser_create(&parse_cfg);
    int rc = !yaml->parser ? -1
             : fp          ? fy_parser_set_input_fp(yaml->parser, "config", fp)
                           : fy_parser_set_string(yaml->parser, text, strlen(text));
    if (rc != 0) {
        mlps_cfg_yaml_close(yaml);
        return -ENOMEM;
    }
    /* An empty stream (or one of comments only) has no document, and no error. */
    yaml->doc = fy_parse_load_document(yaml->parser);
    if (fy_parser_get_stream_error(yaml->parser) || fy_diag_got_error(yaml->diag))
        return fail_parse(yaml, problem);
    if (!yaml->doc)
        return 0;
    struct fy_document *another = fy_parse_load_document(yaml->parser);
    if (another) {
        fy_parse_document_destroy(yaml->parser, another);
        mlps_cfg_yaml_close(yaml);
        *problem = (mlps_cfg_yaml_problem){.message = "more than one document ('---'); "
                                                      "expected one"};
        return -EINVAL;
    }
    if (fy_parser_get_stream_error(yaml->parser) || fy_diag_got_error(yaml->diag))
        return fail_parse(yaml, problem);
    return 0;
}

void mlps_cfg_yaml_close(mlps_cfg_yaml *yaml)
{
    if (yaml->doc)
        fy_parse_document_destroy(yaml->parser, yaml->doc);
    if (yaml->parser)
        fy_parser_destroy(yaml->parser);
    if (yaml->diag)
        fy_diag_destroy(yaml->diag);
    *yaml = (mlps_cfg_yaml){0};
}

struct fy_node *mlps_cfg_yaml_root(const mlps_cfg_yaml *yaml)
{
    return yaml->doc ? fy_document_root(yaml->doc) : NULL;
}

int mlps_cfg_yaml_text_to_json(const char *text, json_t **out, mlps_cfg_yaml_problem *problem)
{
    mlps_cfg_yaml yaml;
    int rc = mlps_cfg_yaml_open(&yaml, NULL, text, problem);
    if (rc != 0)
        return rc;
    *out = mlps_cfg_yaml_to_json(mlps_cfg_yaml_root(&yaml));
    mlps_cfg_yaml_close(&yaml);
    if (!*out) {
        *problem = (mlps_cfg_yaml_problem){.message = "mapping keys must be scalars"};
        return -EINVAL;
    }
    return 0;
}

int mlps_cfg_yaml_line(struct fy_node *node)
{
    struct fy_token *token = fy_node_get_scalar_token(node);
    const struct fy_mark *mark = token ? fy_token_start_mark(token) : NULL;
    return mark ? mark->line + 1 : 0;
}

bool mlps_cfg_yaml_is_null(struct fy_node *node)
{
    return !node || (fy_node_is_scalar(node) && fy_node_get_style(node) == FYNS_PLAIN &&
                     mlps_cfg_text_is_null(fy_node_get_scalar0(node)));
}

const char *mlps_cfg_yaml_kind(struct fy_node *node)
{
    if (fy_node_is_mapping(node))
        return "a mapping";
    if (fy_node_is_sequence(node))
        return "a sequence";
    return "a scalar";
}

static json_t *sequence_to_json(struct fy_node *node)
{
    json_t *array = json_array();
    void *iter = NULL;
    struct fy_node *item;
    while (array && (item = fy_node_sequence_iterate(node, &iter))) {
        if (json_array_append_new(array, mlps_cfg_yaml_to_json(item)) != 0) {
            json_decref(array);
            array = NULL;
        }
    }
    return array;
}

static json_t *mapping_to_json(struct fy_node *node)
{
    json_t *object = json_object();
    void *iter = NULL;
    struct fy_node_pair *pair;
    while (object && (pair = fy_node_mapping_iterate(node, &iter))) {
        struct fy_node *key = fy_node_pair_key(pair);
        const char *name = fy_node_is_scalar(key) ? fy_node_get_scalar0(key) : NULL;
        if (!name || json_object_set_new(object, name,
                                         mlps_cfg_yaml_to_json(fy_node_pair_value(pair))) != 0) {
            json_decref(object);
            object = NULL;
        }
    }
    return object;
}

json_t *mlps_cfg_yaml_to_json(struct fy_node *node)
{
    if (!node)
        return json_null();
    if (fy_node_is_sequence(node))
        return sequence_to_json(node);
    if (fy_node_is_mapping(node))
        return mapping_to_json(node);
    const char *text = fy_node_get_scalar0(node);
    if (!text)
        return NULL;
    if (fy_node_get_style(node) == FYNS_PLAIN)
        return mlps_cfg_plain_scalar_to_json(text);
    return json_string(text);
}

/* A string that YAML would read back unchanged, as a string, without quotes. */
static bool plain_is_safe(const char *text)
{
    if (!isalpha((unsigned char)text[0]) && text[0] != '_' && text[0] != '/')
        return false;
    for (const char *p = text; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_./+-", *p))
            return false;
    return !mlps_cfg_text_is_null(text) && mlps_cfg_infer_type(text) == MLPS_CFG_STRING;
}

static void emit_string(const char *text, FILE *out)
{
    if (plain_is_safe(text)) {
        fputs(text, out);
        return;
    }
    /* JSON's escapes are a subset of YAML's double-quoted ones. */
    json_t *string = json_string(text);
    char *quoted = string ? json_dumps(string, JSON_ENCODE_ANY) : NULL;
    fputs(quoted ? quoted : "\"\"", out);
    free(quoted);
    json_decref(string);
}

static void emit_flow(const json_t *value, FILE *out)
{
    char number[64];
    const char *key;
    size_t index;
    const json_t *item;
    const char *separator = "";
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        fputc('{', out);
        json_object_foreach ((json_t *)value, key, item) {
            fputs(separator, out);
            emit_string(key, out);
            fputs(": ", out);
            emit_flow(item, out);
            separator = ", ";
        }
        fputc('}', out);
        break;
    case JSON_ARRAY:
        fputc('[', out);
        json_array_foreach (value, index, item) {
            fputs(separator, out);
            emit_flow(item, out);
            separator = ", ";
        }
        fputc(']', out);
        break;
    case JSON_STRING:
        emit_string(json_string_value(value), out);
        break;
    case JSON_INTEGER:
        fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        break;
    case JSON_REAL:
        mlps_cfg_format_double(json_real_value(value), number, sizeof number);
        fputs(number, out);
        break;
    case JSON_TRUE:
        fputs("true", out);
        break;
    case JSON_FALSE:
        fputs("false", out);
        break;
    case JSON_NULL:
        fputs("null", out);
        break;
    }
}

static void emit_block(const json_t *object, int indent, FILE *out)
{
    const char *key;
    const json_t *value;
    json_object_foreach ((json_t *)object, key, value) {
        fprintf(out, "%*s", indent, "");
        emit_string(key, out);
        fputc(':', out);
        if (json_is_object(value) && json_object_size(value) > 0) {
            fputc('\n', out);
            emit_block(value, indent + 2, out);
        } else {
            fputc(' ', out);
            emit_flow(value, out);
            fputc('\n', out);
        }
    }
}

int mlps_cfg_yaml_emit(const json_t *object, FILE *out)
{
    if (json_object_size(object) == 0)
        fputs("{}\n", out);
    else
        emit_block(object, 0, out);
    return ferror(out) ? -EIO : 0;
}

int mlps_config_write_yaml(const mlps_config *cfg, FILE *out, bool include_defaults)
{
    json_t *tree = mlps_config_to_json(cfg, include_defaults);
    if (!tree)
        return -ENOMEM;
    int rc = mlps_cfg_yaml_emit(tree, out);
    json_decref(tree);
    return rc;
}
