/* Secrets in memory (credentials, .env values, environment entries carrying them): wiped before
 * their memory is freed, so that they do not linger in freed heap blocks or core dumps. */
#ifndef MLPS_CORE_SECRET_H
#define MLPS_CORE_SECRET_H

/* Overwrites the string's bytes (a wipe the compiler may not drop) and frees it; NULL is fine. */
void mlps_free_secret(char *text);

#endif
