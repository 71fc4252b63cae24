/* Dispatch: `mlps <program> <command> [options]`, the help texts, --version, and what happens around
 * every command: the --config-file values, logging flags, re-launching under mpirun when a command
 * needs more processes than it has, and --loops. */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/config_file.h"
#include "core/comm.h"
#include "core/log.h"
#include "core/suggest.h"

extern const mlps_program mlps_program_storage;
extern const mlps_program mlps_program_training;
extern const mlps_program mlps_program_checkpointing;
extern const mlps_program mlps_program_kvcache;

static const mlps_program *const programs[] = {
    &mlps_program_training,
    &mlps_program_checkpointing,
    &mlps_program_kvcache,
    &mlps_program_storage,
    NULL,
};

static bool is_help(const char *arg) { return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0; }

static void print_general_help(FILE *out)
{
    fprintf(out,
            "usage: mlps <program> <command> [options]\n"
            "       mlps <program> <command> --help\n"
            "       mlps --version\n\n"
            "mlps runs the MLPerf Storage workloads natively against local files, with results trees\n"
            "and key names that MLPerf Storage tooling reads.\n\n"
            "Programs and commands:\n");
    for (size_t p = 0; programs[p]; p++) {
        fprintf(out, "  %-10s %s\n", programs[p]->name, programs[p]->summary);
        for (size_t c = 0; programs[p]->commands[c]; c++)
            fprintf(out, "      %-14s %s\n", programs[p]->commands[c]->name,
                    programs[p]->commands[c]->summary);
    }
    fprintf(out, "\nExit status: 0 success, 1 the run failed, 2 a usage or configuration error.\n");
}

static void print_program_help(const mlps_program *program, FILE *out)
{
    fprintf(out, "usage: mlps %s <command> [options]\n\n%s\n\nCommands:\n", program->name,
            program->summary);
    for (size_t c = 0; program->commands[c]; c++)
        fprintf(out, "  %-14s %s\n", program->commands[c]->name, program->commands[c]->summary);
    fprintf(out, "\nSee 'mlps %s <command> --help' for a command's options.\n", program->name);
}

static void print_command_help(const mlps_invocation *inv, FILE *out)
{
    fprintf(out, "usage: %s [options]\n\n%s\n", inv->usage_name, inv->command->description);
    fprintf(out, "\n  -h, --help%23s show this help and exit\n", "");
    mlps_args_print_help(inv->command->tables, out);
}

static const mlps_program *find_program(const char *name)
{
    for (size_t p = 0; programs[p]; p++)
        if (strcmp(programs[p]->name, name) == 0)
            return programs[p];
    return NULL;
}

/* "<prefix>: unknown <what> '<word>'; did you mean ...? (valid: ...)" */
static int unknown_word(const char *prefix, const char *what, const char *word,
                        const char *const *valid, size_t count)
{
    char list[512] = "";
    for (size_t i = 0; i < count; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, valid[i], sizeof list - strlen(list) - 1);
    }
    const char *nearest = mlps_nearest_name(word, valid, count);
    if (nearest)
        fprintf(stderr, "%s: unknown %s '%s'; did you mean '%s'? (valid: %s)\n", prefix, what,
                word, nearest, list);
    else
        fprintf(stderr, "%s: unknown %s '%s' (valid: %s)\n", prefix, what, word, list);
    return MLPS_EXIT_USAGE;
}

static int unknown_program(const char *name)
{
    const char *names[16];
    size_t count = 0;
    for (; programs[count] && count < 16; count++)
        names[count] = programs[count]->name;
    return unknown_word("mlps", "program", name, names, count);
}

static const mlps_command *find_command(const mlps_program *program, const char *name)
{
    for (size_t c = 0; program->commands[c]; c++)
        if (strcmp(program->commands[c]->name, name) == 0)
            return program->commands[c];
    return NULL;
}

static int unknown_command(const mlps_program *program, const char *name)
{
    const char *names[16];
    size_t count = 0;
    for (; program->commands[count] && count < 16; count++)
        names[count] = program->commands[count]->name;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "mlps %s", program->name);
    return unknown_word(prefix, "command", name, names, count);
}

/* Every collective step leaves the job's error on rank 0 (the session's set-up leaves it on every
 * rank), so rank 0 alone prints it. */
static int report(const mlps_error *err, int rank)
{
    /* Messages that already start with the command's name ("mlps storage roundtrip: ...")
     * need no second "mlps: ". */
    bool named = strncmp(err->message, "mlps ", 5) == 0;
    if (rank == 0)
        fprintf(stderr, "%s%s\n", named ? "" : "mlps: ", err->message);
    return err->exit_status ? err->exit_status : MLPS_EXIT_RUN_FAILED;
}

static int check_loops(const mlps_invocation *inv, mlps_error *err)
{
    long long loops = mlps_args_int(&inv->args, "loops");
    if (loops < 1)
        return mlps_fail_usage(err, -EINVAL, "%s: --loops must be at least 1, got %lld",
                               inv->usage_name, loops);
    return 0;
}

/* Parses flags, applies --config-file, checks required flags and the command's configuration. */
static int prepare_invocation(mlps_invocation *inv, bool *wants_help, mlps_error *err)
{
    const mlps_arg_table *const *tables = inv->command->tables;
    int rc = mlps_args_parse(tables, inv->usage_name, inv->argc, inv->argv, &inv->args, wants_help,
                             err);
    if (rc || *wants_help)
        return rc;
    const char *config_file = mlps_args_string(&inv->args, "config_file");
    if (config_file && (rc = mlps_apply_config_file(tables, inv->usage_name, config_file,
                                                    &inv->args, err)))
        return rc;
    rc = mlps_args_check_required(tables, inv->usage_name, &inv->args, err);
    if (!rc)
        rc = check_loops(inv, err);
    if (!rc && inv->command->check)
        rc = inv->command->check(&inv->args, err);
    return rc;
}

static int run_loops(const mlps_invocation *inv, mlps_error *err)
{
    long long loops = mlps_args_int(&inv->args, "loops");
    int status = MLPS_EXIT_OK;
    for (long long loop = 0; loop < loops && status == MLPS_EXIT_OK; loop++) {
        if (loops > 1)
            mlps_status("loop %lld of %lld", loop + 1, loops);
        status = inv->command->run(inv, err);
    }
    return status;
}

/* Starts the job a command runs in: re-launches under mpirun when it needs more processes than
 * this one, else joins the launcher's MPI job, else runs solo. *relaunched tells the caller that
 * the returned status is the child job's. */
static int start_job(mlps_invocation *inv, bool *relaunched, mlps_error *err)
{
    *relaunched = false;
    mlps_comm_init_solo(inv->comm);
    if (!inv->command->process_count)
        return 0;
    unsigned count = 1;
    int rc = inv->command->process_count(&inv->args, &count, err);
    if (rc)
        return rc;
    if (mlps_comm_under_launcher())
        return mlps_comm_init(inv->comm, &inv->full_argc, &inv->full_argv, err);
    if (count <= 1)
        return 0;
    mlps_launch_spec spec;
    rc = mlps_launch_spec_from_args(&inv->args, count, &spec, err);
    if (rc == 0)
        rc = mlps_launch_spec_forward(&spec, err);
    if (rc == 0) {
        *relaunched = true;
        rc = mlps_launch_self(&spec, inv->full_argc, inv->full_argv,
                              mlps_args_flag(&inv->args, "what_if"), err);
        /* A job that ran and failed has said why itself; only a launcher that could not start
         * needs a message from here. */
        if (rc != 0 && err->code == -ECHILD)
            err->message[0] = '\0';
    }
    mlps_launch_spec_free(&spec);
    return rc;
}

static int run_command(const mlps_program *program, const mlps_command *command, int argc,
                       char **argv)
{
    char usage_name[128];
    snprintf(usage_name, sizeof usage_name, "mlps %s %s", program->name, command->name);
    mlps_comm comm = {0};
    mlps_invocation inv = {.command = command, .usage_name = usage_name, .argc = argc - 3,
                           .argv = argv + 3, .full_argc = argc, .full_argv = argv, .comm = &comm};
    mlps_error err = {0};
    bool wants_help = false, relaunched = false;
    int rank = 0;
    int status = prepare_invocation(&inv, &wants_help, &err);
    if (status == 0 && wants_help) {
        print_command_help(&inv, stdout);
    } else if (status == 0) {
        mlps_apply_logging_flags(&inv.args);
        status = start_job(&inv, &relaunched, &err);
        if (status == 0 && !relaunched) {
            mlps_log_set_rank(comm.rank);
            status = run_loops(&inv, &err);
        }
        rank = comm.rank;
    }
    if (status != 0 && err.message[0])
        status = report(&err, rank);
    else if (status < 0)
        status = MLPS_EXIT_RUN_FAILED;
    /* Only now: once another rank has exited with a failure the launcher may end the job, rank 0
     * included, so rank 0 says why first. */
    if (comm.initialized)
        mlps_comm_finalize(&comm, NULL);
    mlps_args_free(&inv.args);
    return status;
}

int mlps_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        print_general_help(stderr);
        return MLPS_EXIT_RUN_FAILED;
    }
    if (is_help(argv[1])) {
        print_general_help(stdout);
        return MLPS_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mlps %s\n", MLPS_VERSION);
        return MLPS_EXIT_OK;
    }
    const mlps_program *program = find_program(argv[1]);
    if (!program)
        return unknown_program(argv[1]);
    if (argc < 3 || is_help(argv[2])) {
        print_program_help(program, argc < 3 ? stderr : stdout);
        return argc < 3 ? MLPS_EXIT_RUN_FAILED : MLPS_EXIT_OK;
    }
    const mlps_command *command = find_command(program, argv[2]);
    if (!command)
        return unknown_command(program, argv[2]);
    return run_command(program, command, argc, argv);
}
