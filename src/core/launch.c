/* Host parsing and the launcher command line; see launch.h for the rules the command line
 * follows. Running it is launch_run.c's part. */
#include "core/launch.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/comm.h"

/* ---- argument vectors ---- */

int mlps_argv_push(mlps_argv *argv, const char *arg, mlps_error *err)
{
    if (argv->count + 1 >= argv->capacity) {
        size_t capacity = argv->capacity ? argv->capacity * 2 : 16;
        char **items = realloc(argv->items, capacity * sizeof *items);
        if (!items)
            return mlps_fail(err, -ENOMEM, "out of memory building a command line");
        argv->items = items;
        argv->capacity = capacity;
    }
    char *copy = strdup(arg);
    if (!copy)
        return mlps_fail(err, -ENOMEM, "out of memory building a command line");
    argv->items[argv->count++] = copy;
    argv->items[argv->count] = NULL;
    return 0;
}

void mlps_argv_free(mlps_argv *argv)
{
    for (size_t i = 0; i < argv->count; i++)
        free(argv->items[i]);
    free(argv->items);
    *argv = (mlps_argv){0};
}

static bool needs_quoting(const char *word)
{
    if (word[0] == '\0')
        return true;
    for (const char *c = word; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("_@%+=:,./^-", *c))
            return true;
    return false;
}

/* Appends word to a growing line, single-quoted when needed; ' becomes '\''. */
static bool append_word(FILE *line, const char *word)
{
    if (!needs_quoting(word))
        return fputs(word, line) >= 0;
    fputc('\'', line);
    for (const char *c = word; *c; c++) {
        if (*c == '\'')
            fputs("'\\''", line);
        else
            fputc(*c, line);
    }
    return fputc('\'', line) != EOF;
}

char *mlps_argv_render(char *const *argv)
{
    char *text = NULL;
    size_t length = 0;
    FILE *line = open_memstream(&text, &length);
    if (!line)
        return NULL;
    bool ok = true;
    for (size_t i = 0; argv && argv[i]; i++) {
        if (i > 0)
            ok = ok && fputc(' ', line) != EOF;
        ok = ok && append_word(line, argv[i]);
    }
    if (fclose(line) != 0 || !ok) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- hosts ---- */

void mlps_hosts_free(mlps_host_list *hosts)
{
    for (size_t i = 0; i < hosts->count; i++)
        free(hosts->items[i].name);
    free(hosts->items);
    *hosts = (mlps_host_list){0};
}

static int add_host(mlps_host_list *hosts, const char *name, size_t name_len, unsigned slots,
                    mlps_error *err)
{
    mlps_host *items = realloc(hosts->items, (hosts->count + 1) * sizeof *items);
    if (!items)
        return mlps_fail(err, -ENOMEM, "out of memory reading --hosts");
    hosts->items = items;
    char *copy = strndup(name, name_len);
    if (!copy)
        return mlps_fail(err, -ENOMEM, "out of memory reading --hosts");
    hosts->items[hosts->count++] = (mlps_host){.name = copy, .slots = slots};
    return 0;
}

static int parse_slots(const char *text, size_t len, const char *word, size_t word_len,
                       unsigned *slots, mlps_error *err)
{
    unsigned long value = 0;
    bool valid = len > 0;
    for (size_t i = 0; valid && i < len; i++) {
        valid = isdigit((unsigned char)text[i]);
        value = value * 10 + (unsigned long)(text[i] - '0');
        valid = valid && value <= INT_MAX;
    }
    if (!valid || value == 0)
        return mlps_fail_usage(err, -EINVAL,
                               "--hosts: '%.*s' has an invalid slot count; write host:slots "
                               "with slots a positive integer",
                               (int)word_len, word);
    *slots = (unsigned)value;
    return 0;
}

/* One host word, "name" or "name:slots". */
static int parse_host_word(mlps_host_list *hosts, const char *word, size_t len, mlps_error *err)
{
    const char *colon = memrchr(word, ':', len);
    size_t name_len = colon ? (size_t)(colon - word) : len;
    if (name_len == 0)
        return mlps_fail_usage(err, -EINVAL, "--hosts: '%.*s' has no host name; write host or "
                                             "host:slots",
                               (int)len, word);
    unsigned slots = 0;
    if (colon) {
        int status = parse_slots(colon + 1, len - name_len - 1, word, len, &slots, err);
        if (status < 0)
            return status;
    }
    return add_host(hosts, word, name_len, slots, err);
}

static bool is_host_separator(char c) { return c == ',' || isspace((unsigned char)c); }

static int parse_host_token(mlps_host_list *hosts, const char *token, mlps_error *err)
{
    const char *c = token;
    while (*c) {
        while (*c && is_host_separator(*c))
            c++;
        const char *start = c;
        while (*c && !is_host_separator(*c))
            c++;
        if (c > start) {
            int status = parse_host_word(hosts, start, (size_t)(c - start), err);
            if (status < 0)
                return status;
        }
    }
    return 0;
}

int mlps_hosts_parse(mlps_host_list *out, char *const *tokens, size_t token_count,
                     mlps_error *err)
{
    *out = (mlps_host_list){0};
    if (token_count == 0)
        return add_host(out, MLPS_DEFAULT_HOST, strlen(MLPS_DEFAULT_HOST), 0, err);
    for (size_t i = 0; i < token_count; i++) {
        int status = parse_host_token(out, tokens[i], err);
        if (status < 0) {
            mlps_hosts_free(out);
            return status;
        }
    }
    if (out->count == 0)
        return mlps_fail_usage(err, -EINVAL, "--hosts: no host names given; list hosts "
                                             "separated by commas or spaces, e.g. --hosts "
                                             "node1,node2");
    return 0;
}

/* ---- the launcher prefix ---- */

/* --mpi-bin as given: mpirun (OpenMPI's, the default) or mpiexec (MPICH's Hydra). */
static const char *launcher_kind(const mlps_launch_spec *spec)
{
    return spec->mpi_bin ? spec->mpi_bin : "mpirun";
}

int mlps_launch_program(const mlps_launch_spec *spec, const char **program, mlps_error *err)
{
    const char *kind = launcher_kind(spec);
    const char *variable;
    if (strcmp(kind, "mpirun") == 0)
        variable = "MPI_RUN_BIN";
    else if (strcmp(kind, "mpiexec") == 0)
        variable = "MPI_EXEC_BIN";
    else
        return mlps_fail_usage(err, -EINVAL, "--mpi-bin: '%s' is not valid; use mpirun or "
                                             "mpiexec",
                               kind);
    const char *override = getenv(variable);
    *program = override && override[0] ? override : kind;
    return 0;
}

/* A host list the command line can use: every name once, each with its slot count. */
typedef struct slot_plan {
    mlps_host *hosts; /* names borrowed from the spec */
    size_t count;
    unsigned long long total_slots;
} slot_plan;

static int find_planned(const slot_plan *plan, const char *name)
{
    for (size_t i = 0; i < plan->count; i++)
        if (strcmp(plan->hosts[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void render_given_hosts(const mlps_host_list *hosts, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < hosts->count && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s:%u", i ? "," : "",
                                 hosts->items[i].name, hosts->items[i].slots);
}

/* Every host must say how many slots it has, or none may. */
static int check_slots_given_consistently(const mlps_host_list *hosts, mlps_error *err)
{
    const mlps_host *with = NULL;
    const mlps_host *without = NULL;
    for (size_t i = 0; i < hosts->count; i++) {
        if (hosts->items[i].slots > 0 && !with)
            with = &hosts->items[i];
        if (hosts->items[i].slots == 0 && !without)
            without = &hosts->items[i];
    }
    if (with && without)
        return mlps_fail_usage(err, -EINVAL,
                               "--hosts: host '%s' has no slot count but '%s:%u' has one; "
                               "give every host as host:slots, or none",
                               without->name, with->name, with->slots);
    return 0;
}

static int plan_slots(const mlps_launch_spec *spec, slot_plan *plan, mlps_error *err)
{
    const mlps_host_list *given = &spec->hosts;
    *plan = (slot_plan){0};
    if (given->count == 0)
        return mlps_fail_usage(err, -EINVAL, "--hosts: no host names given");
    int status = check_slots_given_consistently(given, err);
    if (status < 0)
        return status;
    plan->hosts = calloc(given->count, sizeof *plan->hosts);
    if (!plan->hosts)
        return mlps_fail(err, -ENOMEM, "out of memory planning the host slots");
    for (size_t i = 0; i < given->count; i++) {
        int found = find_planned(plan, given->items[i].name);
        if (found < 0)
            plan->hosts[plan->count++] = (mlps_host){.name = given->items[i].name};
        mlps_host *merged = &plan->hosts[found < 0 ? plan->count - 1 : (size_t)found];
        if ((unsigned long long)merged->slots + given->items[i].slots > INT_MAX)
            return mlps_fail_usage(err, -EINVAL, "--hosts: host '%s' is given more than %d "
                                                 "slots in total",
                                   merged->name, INT_MAX);
        merged->slots += given->items[i].slots;
        plan->total_slots += given->items[i].slots;
    }
    if (given->items[0].slots > 0) {
        if (plan->total_slots < spec->nprocs) {
            char listed[MLPS_ERROR_MESSAGE_MAX / 2];
            render_given_hosts(given, listed, sizeof listed);
            return mlps_fail_usage(err, -EINVAL,
                                   "--hosts: hosts %s provide %llu slots but %u processes were "
                                   "requested; give more slots or fewer processes",
                                   listed, plan->total_slots, spec->nprocs);
        }
        return 0;
    }
    unsigned each = spec->nprocs / (unsigned)plan->count;
    unsigned extra = spec->nprocs % (unsigned)plan->count;
    for (size_t i = 0; i < plan->count; i++)
        plan->hosts[i].slots = each + (i < extra ? 1 : 0);
    plan->total_slots = spec->nprocs;
    return 0;
}

/* "-host" value: hosts with at least one slot, in order. */
static char *render_host_slots(const slot_plan *plan, size_t *used_hosts)
{
    char *text = NULL;
    size_t length = 0;
    FILE *line = open_memstream(&text, &length);
    if (!line)
        return NULL;
    *used_hosts = 0;
    for (size_t i = 0; i < plan->count; i++) {
        if (plan->hosts[i].slots == 0)
            continue;
        fprintf(line, "%s%s:%u", *used_hosts ? "," : "", plan->hosts[i].name,
                plan->hosts[i].slots);
        (*used_hosts)++;
    }
    if (fclose(line) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

int mlps_launch_split_params(const char *value, mlps_argv *out, mlps_error *err)
{
    size_t len = strlen(value);
    char *word = malloc(len + 1);
    if (!word)
        return mlps_fail(err, -ENOMEM, "out of memory reading --mpi-params");
    size_t word_len = 0;
    bool in_word = false;
    char quote = '\0';
    int status = 0;
    for (const char *c = value; status == 0 && *c; c++) {
        if (quote) {
            if (*c == quote)
                quote = '\0';
            else
                word[word_len++] = *c;
        } else if (*c == '\'' || *c == '"') {
            quote = *c;
            in_word = true;
        } else if (isspace((unsigned char)*c)) {
            if (in_word) {
                word[word_len] = '\0';
                status = mlps_argv_push(out, word, err);
            }
            in_word = false;
            word_len = 0;
        } else {
            word[word_len++] = *c;
            in_word = true;
        }
    }
    if (status == 0 && quote)
        status = mlps_fail_usage(err, -EINVAL, "--mpi-params: unterminated %c quote in '%s'; "
                                               "close it or drop it",
                                 quote, value);
    if (status == 0 && in_word) {
        word[word_len] = '\0';
        status = mlps_argv_push(out, word, err);
    }
    free(word);
    return status;
}

/* OpenMPI refuses an MCA parameter named twice on one command line. */
static bool params_choose_btl(const mlps_argv *params)
{
    for (size_t i = 0; i + 1 < params->count; i++) {
        const char *flag = params->items[i];
        bool is_mca = strcmp(flag, "--mca") == 0 || strcmp(flag, "-mca") == 0 ||
                      strcmp(flag, "--gmca") == 0 || strcmp(flag, "-gmca") == 0;
        if (is_mca && strcmp(params->items[i + 1], "btl") == 0)
            return true;
    }
    return false;
}

static int push_all(mlps_argv *out, const char *const *words, mlps_error *err)
{
    for (size_t i = 0; words[i]; i++) {
        int status = mlps_argv_push(out, words[i], err);
        if (status < 0)
            return status;
    }
    return 0;
}

static int push_layout(mlps_argv *out, const char *program, unsigned nprocs,
                       const char *host_slots, size_t used_hosts, bool user_sets_btl,
                       mlps_error *err)
{
    char count[16];
    snprintf(count, sizeof count, "%u", nprocs);
    const char *head[] = {program, "-n", count, "-host", host_slots, "--bind-to", "none", NULL};
    const char *many_hosts[] = {"--map-by", "node", NULL};
    const char *one_host[] = {"--map-by", "socket", NULL};
    const char *no_shared_memory[] = {"--mca", "btl", "^vader", NULL};
    int status = push_all(out, head, err);
    if (status == 0)
        status = push_all(out, used_hosts >= 2 ? many_hosts : one_host, err);
    if (status == 0 && used_hosts < 2 && !user_sets_btl)
        status = push_all(out, no_shared_memory, err);
    return status;
}

/* The forwarded settings by name: `-x NAME` each (OpenMPI's mpirun) or one `-genvlist A,B`
 * (MPICH's mpiexec). */
static int push_forwarded(const mlps_launch_spec *spec, mlps_argv *out, mlps_error *err)
{
    if (spec->forward_count == 0)
        return 0;
    bool hydra = strcmp(launcher_kind(spec), "mpiexec") == 0;
    if (!hydra) {
        int status = 0;
        for (size_t i = 0; status == 0 && i < spec->forward_count; i++) {
            status = mlps_argv_push(out, "-x", err);
            if (status == 0)
                status = mlps_argv_push(out, spec->forward[i].name, err);
        }
        return status;
    }
    size_t length = 1;
    for (size_t i = 0; i < spec->forward_count; i++)
        length += strlen(spec->forward[i].name) + 1;
    char *names = calloc(1, length);
    if (!names)
        return mlps_fail(err, -ENOMEM, "out of memory building a command line");
    for (size_t i = 0; i < spec->forward_count; i++) {
        if (i)
            strcat(names, ",");
        strcat(names, spec->forward[i].name);
    }
    int status = mlps_argv_push(out, "-genvlist", err);
    if (status == 0)
        status = mlps_argv_push(out, names, err);
    free(names);
    return status;
}

static int push_prefix(const mlps_launch_spec *spec, const slot_plan *plan, mlps_argv *out,
                       mlps_argv *params, mlps_error *err)
{
    const char *program = NULL;
    int status = mlps_launch_program(spec, &program, err);
    for (size_t i = 0; status == 0 && i < spec->mpi_param_count; i++)
        status = mlps_launch_split_params(spec->mpi_params[i], params, err);
    if (status < 0)
        return status;
    size_t used_hosts = 0;
    char *host_slots = render_host_slots(plan, &used_hosts);
    if (!host_slots)
        return mlps_fail(err, -ENOMEM, "out of memory building the -host list");
    status = push_layout(out, program, spec->nprocs, host_slots, used_hosts,
                         params_choose_btl(params), err);
    free(host_slots);
    if (status == 0 && spec->oversubscribe)
        status = mlps_argv_push(out, "--oversubscribe", err);
    if (status == 0 && spec->allow_run_as_root)
        status = mlps_argv_push(out, "--allow-run-as-root", err);
    if (status == 0)
        status = push_forwarded(spec, out, err);
    for (size_t i = 0; status == 0 && i < params->count; i++)
        status = mlps_argv_push(out, params->items[i], err);
    return status;
}

int mlps_launch_build_prefix(const mlps_launch_spec *spec, mlps_argv *out, mlps_error *err)
{
    if (spec->nprocs == 0)
        return mlps_fail_usage(err, -EINVAL, "the number of processes must be at least 1");
    slot_plan plan;
    int status = plan_slots(spec, &plan, err);
    mlps_argv params = {0};
    if (status == 0)
        status = push_prefix(spec, &plan, out, &params, err);
    mlps_argv_free(&params);
    free(plan.hosts);
    return status;
}

int mlps_launch_build_self(const mlps_launch_spec *spec, const char *exe, int argc,
                           char *const *argv, mlps_argv *out, mlps_error *err)
{
    int status = mlps_launch_build_prefix(spec, out, err);
    if (status == 0)
        status = mlps_argv_push(out, exe, err);
    for (int i = 1; status == 0 && i < argc; i++)
        status = mlps_argv_push(out, argv[i], err);
    return status;
}

bool mlps_launch_self_needed(const mlps_launch_spec *spec)
{
    return spec->nprocs > 1 && !mlps_comm_under_launcher();
}
