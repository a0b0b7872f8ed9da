/* base/str.h: small string helpers. */
#ifndef ES_STR_H
#define ES_STR_H

#include <stddef.h>
#include <string.h>

/* Copy src into dst[n] (n >= 1), truncating; always NUL-terminated.  Used on
 * hot paths where snprintf("%s") costs more than the copy itself. */
static inline void es_strlcpy(char *dst, const char *src, size_t n)
{
    size_t k = strlen(src);
    if (k >= n)
        k = n - 1;
    memcpy(dst, src, k);
    dst[k] = '\0';
}

/* !strcmp, inline: the cost model and the mapping lookups compare short
 * names in the mapper search's inner loops, where a libc call per
 * comparison showed in its profile. */
static inline int es_streq(const char *x, const char *y)
{
    while (*x && *x == *y) {
        x++;
        y++;
    }
    return *x == *y;
}

#endif
