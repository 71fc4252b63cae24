/* A scratch directory for one test program under $MLPS_TEST_TMP (else /tmp), removed with
 * everything in it afterwards; included by the tests that create files and directories. */
#ifndef MLPS_TESTS_SCRATCH_DIR_H
#define MLPS_TESTS_SCRATCH_DIR_H

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char scratch_buffer[PATH_MAX];
static const char *scratch = scratch_buffer;

/* "<scratch>/<relative>" */
__attribute__((unused)) static void in_scratch(char *out, const char *relative)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", scratch, relative);
    assert_true(n > 0 && n < PATH_MAX);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Creates "<base>/<name>.XXXXXX" as the scratch directory. */
static int scratch_create(const char *name)
{
    const char *base = getenv("MLPS_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0755);
    snprintf(scratch_buffer, sizeof scratch_buffer, "%s/%s.XXXXXX", base, name);
    return mkdtemp(scratch_buffer) ? 0 : -1;
}

static int remove_scratch(void **state)
{
    (void)state;
    return nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Entries in dir other than "." and "..". */
__attribute__((unused)) static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

#endif
