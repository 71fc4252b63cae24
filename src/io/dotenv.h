/* The `.env` file of object-storage settings, read as the reference's wrapper reads it: found in
 * the working directory, then next to the program (<bin>/../.env), then in the working
 * directory's parents; KEY=VALUE lines, `#` comments, optional single or double quotes, an
 * optional `export ` prefix. A variable set (non-empty) in the environment wins over the file.
 * The values are kept in memory only: the environment is never changed, so nothing the file
 * holds (a secret key) reaches child commands, logs or results unless asked for by name. */
#ifndef MLPS_IO_DOTENV_H
#define MLPS_IO_DOTENV_H

#include <stddef.h>

#include "core/error.h"

typedef struct mlps_dotenv {
    char *path;    /* the file read, NULL when none was found */
    char **names;  /* parallel arrays, in file order; a later line wins over an earlier one */
    char **values;
    size_t count;
} mlps_dotenv;

/* Parses the text of a .env file; origin names it in messages ("path/.env"). A line that is not
 * blank, a comment or NAME=VALUE is a usage error naming origin:line (never the value). */
int mlps_dotenv_parse(const char *text, const char *origin, mlps_dotenv *out, mlps_error *err);

/* The .env to read for a process working in start_dir whose program lies in exe_dir (may be
 * NULL): start_dir/.env, exe_dir/../.env, then each parent of start_dir up to /. Returns a
 * malloc'd path, or NULL when there is none. */
char *mlps_dotenv_find(const char *start_dir, const char *exe_dir);

/* Finds the .env of this process (working directory, /proc/self/exe) and parses it; finding
 * none leaves *out empty and returns 0. */
int mlps_dotenv_load(mlps_dotenv *out, mlps_error *err);

/* The value of name: the environment's when set and non-empty, else the file's, else NULL. */
const char *mlps_dotenv_get(const mlps_dotenv *env, const char *name);

void mlps_dotenv_free(mlps_dotenv *env);

#endif
