/* Reading the `.env` file of object-storage settings (see dotenv.h): the search for it, and its
 * lines, a small subset of what python-dotenv accepts:
 *   NAME=value            surrounding blanks trimmed; ` #...` after the value is a comment
 *   export NAME=value     the shell's spelling, same meaning
 *   NAME="a \"b\"\n"      double quotes: \" \\ \n \t escapes, '#' is literal
 *   NAME='a b'            single quotes: literal */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/secret.h"
#include "io/dotenv.h"

static bool name_char(char c, bool first)
{
    return c == '_' || isalpha((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static int set_value(mlps_dotenv *env, const char *name, size_t name_len, char *value)
{
    for (size_t i = 0; i < env->count; i++)
        if (strlen(env->names[i]) == name_len && strncmp(env->names[i], name, name_len) == 0) {
            free(env->values[i]);
            env->values[i] = value;
            return 0;
        }
    char **names = realloc(env->names, (env->count + 1) * sizeof *names);
    if (names)
        env->names = names;
    char **values = realloc(env->values, (env->count + 1) * sizeof *values);
    if (values)
        env->values = values;
    char *copy = strndup(name, name_len);
    if (!names || !values || !copy) {
        free(copy);
        free(value);
        return -ENOMEM;
    }
    env->names[env->count] = copy;
    env->values[env->count++] = value;
    return 0;
}

/* The value after '=' up to end (exclusive): *value malloc'd. -EINVAL for an unclosed quote or
 * text after the closing quote. */
static int read_value(const char *p, const char *end, char **value)
{
    p = skip_blanks(p);
    char *out = malloc((size_t)(end - p) + 1);
    if (!out)
        return -ENOMEM;
    size_t n = 0;
    if (*p == '"' || *p == '\'') {
        char quote = *p++;
        for (; p < end && *p != quote; p++) {
            if (quote == '"' && *p == '\\' && p + 1 < end) {
                p++;
                out[n++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
            } else {
                out[n++] = *p;
            }
        }
        const char *rest = p < end ? skip_blanks(p + 1) : p;
        if (p >= end || (rest < end && *rest != '#')) {
            free(out);
            return -EINVAL;
        }
    } else {
        const char *stop = p;
        while (stop < end && !(*stop == '#' && (stop == p || stop[-1] == ' ' || stop[-1] == '\t')))
            stop++;
        while (stop > p && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r'))
            stop--;
        memcpy(out, p, (size_t)(stop - p));
        n = (size_t)(stop - p);
    }
    out[n] = '\0';
    *value = out;
    return 0;
}

static int parse_line(const char *line, const char *end, mlps_dotenv *env)
{
    const char *p = skip_blanks(line);
    if (p >= end || *p == '#' || *p == '\r')
        return 0;
    if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
        p = skip_blanks(p + 6);
    const char *name = p;
    while (p < end && name_char(*p, p == name))
        p++;
    size_t name_len = (size_t)(p - name);
    p = skip_blanks(p);
    if (name_len == 0 || p >= end || *p != '=')
        return -EINVAL;
    char *value = NULL;
    int rc = read_value(p + 1, end, &value);
    return rc ? rc : set_value(env, name, name_len, value);
}

int mlps_dotenv_parse(const char *text, const char *origin, mlps_dotenv *out, mlps_error *err)
{
    unsigned line_number = 1;
    for (const char *line = text; *line; line_number++) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        int rc = parse_line(line, end, out);
        if (rc == -ENOMEM)
            return mlps_fail(err, rc, "%s: out of memory", origin);
        if (rc)
            return mlps_fail_usage(err, rc,
                                   "%s:%u: not a setting: write NAME=value (optionally quoted, "
                                   "optionally after 'export '), a '#' comment or a blank line",
                                   origin, line_number);
        line = *end ? end + 1 : end;
    }
    return 0;
}

static char *readable_file(const char *dir, const char *relative)
{
    char *path = NULL;
    if (asprintf(&path, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", relative) < 0)
        return NULL;
    if (access(path, R_OK) == 0)
        return path;
    free(path);
    return NULL;
}

/* Cuts the last component off dir ("/a/b" -> "/a", "/a" -> "/"); false when there is none. */
static bool to_parent(char *dir)
{
    char *slash = strrchr(dir, '/');
    if (!slash || strcmp(dir, "/") == 0)
        return false;
    slash[slash == dir] = '\0';
    return true;
}

char *mlps_dotenv_find(const char *start_dir, const char *exe_dir)
{
    char *found = readable_file(start_dir, ".env");
    char dir[PATH_MAX];
    if (!found && exe_dir) {
        snprintf(dir, sizeof dir, "%s", exe_dir);
        if (to_parent(dir))
            found = readable_file(dir, ".env");
    }
    snprintf(dir, sizeof dir, "%s", start_dir);
    while (!found && to_parent(dir))
        found = readable_file(dir, ".env");
    return found;
}

static int read_whole_file(const char *path, char **text, mlps_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return mlps_fail_usage(err, -errno, "%s: %s", path, strerror(errno));
    size_t size = 0, capacity = 4096;
    char *buffer = malloc(capacity);
    size_t got = 0;
    while (buffer && (got = fread(buffer + size, 1, capacity - size - 1, f)) > 0) {
        size += got;
        if (size + 1 == capacity) {
            char *bigger = realloc(buffer, capacity * 2);
            if (!bigger)
                free(buffer);
            buffer = bigger;
            capacity *= 2;
        }
    }
    bool failed = ferror(f);
    fclose(f);
    if (!buffer)
        return mlps_fail(err, -ENOMEM, "%s: out of memory", path);
    if (failed) {
        free(buffer);
        return mlps_fail(err, -EIO, "%s: read error", path);
    }
    buffer[size] = '\0';
    *text = buffer;
    return 0;
}

int mlps_dotenv_load(mlps_dotenv *out, mlps_error *err)
{
    memset(out, 0, sizeof *out);
    char cwd[PATH_MAX], exe[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return 0; /* a removed working directory has no .env */
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *exe_dir = NULL;
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash && slash != exe) {
            *slash = '\0';
            exe_dir = exe;
        }
    }
    out->path = mlps_dotenv_find(cwd, exe_dir);
    if (!out->path)
        return 0;
    char *text = NULL;
    int rc = read_whole_file(out->path, &text, err);
    if (rc == 0)
        rc = mlps_dotenv_parse(text, out->path, out, err);
    mlps_free_secret(text);
    if (rc)
        mlps_dotenv_free(out);
    return rc;
}

const char *mlps_dotenv_get(const mlps_dotenv *env, const char *name)
{
    const char *shell = getenv(name);
    if (shell && shell[0])
        return shell;
    for (size_t i = env ? env->count : 0; i-- > 0;)
        if (strcmp(env->names[i], name) == 0)
            return env->values[i];
    return NULL;
}

void mlps_dotenv_free(mlps_dotenv *env)
{
    for (size_t i = 0; i < env->count; i++) {
        free(env->names[i]);
        mlps_free_secret(env->values[i]);
    }
    free(env->names);
    free(env->values);
    free(env->path);
    memset(env, 0, sizeof *env);
}
