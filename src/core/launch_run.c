/* Running the launcher command that launch.c builds: the child gets MLPS_LAUNCHED=1, this
 * process waits for it, passes on termination signals, and turns its end into an exit status
 * and, on failure, a one-line error. */
#include "core/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/secret.h"

/* The child that SIGINT/SIGTERM go to while we wait. A signal handler can reach nothing else,
 * so this one value lives at file scope; it is 0 whenever no launch is running. */
static volatile sig_atomic_t forwarding_pid;

static void forward_signal(int signal_number, siginfo_t *info, void *context)
{
    (void)context;
    /* The kernel sends a terminal's Ctrl-C to the whole foreground process group, child
     * included; passing it on again would deliver it twice. */
    if (info && info->si_code == SI_KERNEL)
        return;
    pid_t child = forwarding_pid;
    if (child > 0)
        kill(child, signal_number);
}

static size_t name_length(const char *entry)
{
    const char *equals = strchr(entry, '=');
    return equals ? (size_t)(equals - entry) : strlen(entry);
}

/* Whether entry ("NAME=value") sets a variable that one of the replacements sets too. */
static bool replaced(const char *entry, char *const *replacements)
{
    size_t len = name_length(entry);
    for (size_t i = 0; replacements && replacements[i]; i++)
        if (name_length(replacements[i]) == len && strncmp(entry, replacements[i], len) == 0)
            return true;
    return false;
}

/* The environment for the child: ours, with extra's entries and MLPS_LAUNCHED=1 replacing any
 * earlier value of their names. */
static char **launched_environment(char *const *extra)
{
    static char marker[] = MLPS_LAUNCHED_VARIABLE "=1";
    char *marker_list[] = {marker, NULL};
    size_t count = 0, extra_count = 0;
    while (environ[count])
        count++;
    while (extra && extra[extra_count])
        extra_count++;
    char **env = malloc((count + extra_count + 2) * sizeof *env);
    if (!env)
        return NULL;
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if (!replaced(environ[i], marker_list) && !replaced(environ[i], extra))
            env[kept++] = environ[i];
    for (size_t i = 0; i < extra_count; i++)
        env[kept++] = extra[i];
    env[kept++] = marker;
    env[kept] = NULL;
    return env;
}

static _Noreturn void exec_child(char *const *argv, char **env, int report_fd,
                                 const sigset_t *old_mask)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigprocmask(SIG_SETMASK, old_mask, NULL);
    execvpe(argv[0], argv, env);
    int failure = errno;
    ssize_t written = write(report_fd, &failure, sizeof failure);
    (void)written;
    _exit(failure == ENOENT ? 127 : 126);
}

static int wait_for_child(pid_t child, int *status)
{
    while (waitpid(child, status, 0) < 0) {
        if (errno != EINTR)
            return -errno;
    }
    return 0;
}

/* What the exec in the child reported: 0 when it succeeded (the pipe closed on exec). */
static int read_exec_failure(int report_fd)
{
    int failure = 0;
    ssize_t got;
    do {
        got = read(report_fd, &failure, sizeof failure);
    } while (got < 0 && errno == EINTR);
    return got == (ssize_t)sizeof failure ? failure : 0;
}

/* Records the failure with the exit status it leads to, and returns that status. */
static int fail_with_status(mlps_error *err, int code, int exit_status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_with_status(mlps_error *err, int code, int exit_status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mlps_fail_v(err, code, exit_status, fmt, ap);
    va_end(ap);
    return exit_status;
}

static int child_outcome(const char *program, int exec_failure, int wait_status, mlps_error *err)
{
    if (exec_failure == ENOENT)
        return fail_with_status(err, -ENOENT, 127,
                                "%s not found: install openmpi-bin or pass --mpi-bin (or set "
                                "MPI_RUN_BIN / MPI_EXEC_BIN)",
                                program);
    if (exec_failure != 0)
        return fail_with_status(err, -exec_failure, 126, "cannot run %s: %s", program,
                                strerror(exec_failure));
    int status = WIFEXITED(wait_status)     ? WEXITSTATUS(wait_status)
                 : WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status)
                                            : MLPS_EXIT_RUN_FAILED;
    if (status != 0)
        fail_with_status(err, -ECHILD, status, "%s exited with status %d", program, status);
    return status;
}

int mlps_launch_run(char *const *argv, mlps_error *err)
{
    return mlps_launch_run_with(argv, NULL, err);
}

int mlps_launch_run_with(char *const *argv, char *const *extra_env, mlps_error *err)
{
    char **env = launched_environment(extra_env);
    int report[2];
    if (!env || pipe2(report, O_CLOEXEC) != 0) {
        int failure = env ? errno : ENOMEM;
        free(env);
        return fail_with_status(err, -failure, MLPS_EXIT_RUN_FAILED, "cannot prepare to run %s: %s",
                                argv[0], strerror(failure));
    }
    /* Signals wait until the child's pid is known, so none is lost in between. */
    sigset_t forwarded, old_mask;
    sigemptyset(&forwarded);
    sigaddset(&forwarded, SIGINT);
    sigaddset(&forwarded, SIGTERM);
    sigprocmask(SIG_BLOCK, &forwarded, &old_mask);
    struct sigaction forward = {.sa_sigaction = forward_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
    sigemptyset(&forward.sa_mask);
    struct sigaction old_int, old_term;
    sigaction(SIGINT, &forward, &old_int);
    sigaction(SIGTERM, &forward, &old_term);

    fflush(NULL);
    pid_t child = fork();
    if (child == 0)
        exec_child(argv, env, report[1], &old_mask);
    int fork_errno = errno;
    close(report[1]);
    free(env);
    int wait_status = 0;
    int exec_failure = 0;
    int waited = -ECHILD;
    if (child > 0) {
        forwarding_pid = child;
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        exec_failure = read_exec_failure(report[0]);
        waited = wait_for_child(child, &wait_status);
        sigprocmask(SIG_BLOCK, &forwarded, NULL);
        forwarding_pid = 0;
    }
    close(report[0]);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);

    if (child < 0)
        return fail_with_status(err, -fork_errno, MLPS_EXIT_RUN_FAILED, "cannot start %s: %s",
                                argv[0], strerror(fork_errno));
    if (waited < 0)
        return fail_with_status(err, waited, MLPS_EXIT_RUN_FAILED, "waiting for %s failed: %s",
                                argv[0], strerror(-waited));
    return child_outcome(argv[0], exec_failure, wait_status, err);
}

static int own_executable(char *path, size_t size, mlps_error *err)
{
    ssize_t len = readlink("/proc/self/exe", path, size - 1);
    if (len < 0)
        return mlps_fail(err, -errno, "cannot find this program's path in /proc/self/exe: %s",
                         strerror(errno));
    path[len] = '\0';
    return 0;
}

/* Runs the launcher with the forwarded values that only a .env file holds in its environment,
 * so `-x NAME` finds them there. */
static int run_with_file_settings(const mlps_launch_spec *spec, char *const *argv,
                                  mlps_error *err)
{
    mlps_argv extra = {0};
    int status = 0;
    for (size_t i = 0; status == 0 && i < spec->forward_count; i++) {
        const mlps_launch_variable *v = &spec->forward[i];
        char *entry = NULL;
        if (!v->value)
            continue;
        if (asprintf(&entry, "%s=%s", v->name, v->value) < 0)
            status = mlps_fail(err, -ENOMEM, "out of memory preparing the launcher's environment");
        else
            status = mlps_argv_push(&extra, entry, err);
        mlps_free_secret(entry);
    }
    int exit_status = status < 0 ? MLPS_EXIT_RUN_FAILED
                                 : mlps_launch_run_with(argv, extra.items, err);
    for (size_t i = 0; i < extra.count; i++) {
        mlps_free_secret(extra.items[i]); /* NAME=value entries of .env secrets */
        extra.items[i] = NULL;
    }
    mlps_argv_free(&extra);
    return exit_status;
}

int mlps_launch_self(const mlps_launch_spec *spec, int argc, char **argv, bool what_if,
                     mlps_error *err)
{
    char exe[PATH_MAX];
    mlps_argv command = {0};
    int status = own_executable(exe, sizeof exe, err);
    if (status == 0)
        status = mlps_launch_build_self(spec, exe, argc, argv, &command, err);
    if (status < 0) {
        mlps_argv_free(&command);
        return err ? err->exit_status : MLPS_EXIT_RUN_FAILED;
    }
    int exit_status = 0;
    if (what_if) {
        char *line = mlps_argv_render(command.items);
        if (line)
            printf("%s\n", line);
        else
            exit_status = fail_with_status(err, -ENOMEM, MLPS_EXIT_RUN_FAILED,
                                           "out of memory rendering the launch command");
        free(line);
    } else {
        exit_status = run_with_file_settings(spec, command.items, err);
    }
    mlps_argv_free(&command);
    return exit_status;
}
