/* Wiping secrets before they are freed; see secret.h. */
#include "core/secret.h"

#include <stdlib.h>
#include <string.h>

void mlps_free_secret(char *text)
{
    if (text)
        explicit_bzero(text, strlen(text));
    free(text);
}
