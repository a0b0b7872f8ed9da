/* golden/tokenizer.c: GPT-2 byte-level BPE; see tokenizer.h.
 *
 * Character classes of the pre-tokenizer.  ASCII is exact: letters A-Z a-z,
 * numbers 0-9, whitespace TAB LF VT FF CR SPACE, everything else "other".
 * Beyond ASCII (approximation of the Unicode properties; documented in
 * docs/golden-models.md):
 *   whitespace: U+0085 U+00A0 U+1680 U+2000-200A U+2028 U+2029 U+202F U+205F U+3000
 *               (the Unicode White_Space property, complete);
 *   numbers:    U+00B2 U+00B3 U+00B9 U+00BC-00BE, U+0660-0669, U+06F0-06F9,
 *               U+0966-096F, U+2070-2079, U+2080-2089, U+2150-218B,
 *               U+2460-249B, U+FF10-FF19;
 *   other:      C1 controls and Latin-1 symbols (U+0080-00BF except ª µ º and
 *               the numbers above, plus × ÷), combining marks U+0300-036F,
 *               general punctuation and symbols U+2000-2BFF (except the
 *               numbers above), CJK symbols U+3000-303F, private use
 *               U+E000-F8FF, U+FE00-FE4F, U+FF00-FF0F, U+FF1A-FF20,
 *               U+FF3B-FF40, U+FF5B-FF65, U+FFF0-FFFF, U+1F000-1FAFF (emoji),
 *               invalid UTF-8 bytes;
 *   letters:    every other code point.
 * Contractions are matched case-sensitively, as in encoder.py. */
#include "golden/tokenizer.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "golden/base/json.h"

/* ---- string -> int hash map (open addressing, FNV-1a) ------------------- */
typedef struct smap {
    char **key;
    int *val;
    size_t cap, n;
} smap;

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void smap_init(smap *m, size_t expect)
{
    m->cap = 16;
    while (m->cap < expect * 2)
        m->cap *= 2;
    m->key = es_xcalloc(m->cap, sizeof *m->key);
    m->val = es_xcalloc(m->cap, sizeof *m->val);
    m->n = 0;
}

static void smap_free(smap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->key[i]);
    free(m->key);
    free(m->val);
}

/* Look up s[0..n); returns the slot index (key NULL when absent). */
static size_t smap_slot(const smap *m, const char *s, size_t n)
{
    size_t i = (size_t)fnv(s, n) & (m->cap - 1);
    while (m->key[i] && !(strlen(m->key[i]) == n && !memcmp(m->key[i], s, n)))
        i = (i + 1) & (m->cap - 1);
    return i;
}

static int smap_get(const smap *m, const char *s, size_t n)
{
    size_t i = smap_slot(m, s, n);
    return m->key[i] ? m->val[i] : -1;
}

/* Insert if absent (first wins); returns 1 if inserted. */
static int smap_put(smap *m, const char *s, size_t n, int v)
{
    size_t i = smap_slot(m, s, n);
    if (m->key[i])
        return 0;
    char *k = es_xmalloc(n + 1);
    memcpy(k, s, n);
    k[n] = '\0';
    m->key[i] = k;
    m->val[i] = v;
    m->n++;
    return 1;
}

/* ---- tokenizer ------------------------------------------------------------ */
struct gd_tokenizer {
    smap enc;    /* token string -> id */
    smap merges; /* "a b" -> rank */
    char **id2s; /* id -> token string */
    int vocab;
    char b2u[256][4]; /* byte -> UTF-8 of its stand-in code point */
    int u2b[324];     /* stand-in code point -> byte */
};

static void build_byte_table(gd_tokenizer *t)
{
    int cp[256], n = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        cp[b] = printable ? b : 256 + n++;
    }
    for (int i = 0; i < 324; i++)
        t->u2b[i] = -1;
    for (int b = 0; b < 256; b++) {
        int c = cp[b];
        memset(t->b2u[b], 0, 4);
        if (c < 0x80)
            t->b2u[b][0] = (char)c;
        else {
            t->b2u[b][0] = (char)(0xC0 | (c >> 6));
            t->b2u[b][1] = (char)(0x80 | (c & 0x3F));
        }
        t->u2b[c] = b;
    }
}

int gd_tok_vocab_size(const gd_tokenizer *t) { return t->vocab; }

void gd_tok_free(gd_tokenizer *t)
{
    if (!t)
        return;
    smap_free(&t->enc);
    smap_free(&t->merges);
    free(t->id2s);
    free(t);
}

gd_tokenizer *gd_tok_load(const char *encoder_json, const char *vocab_bpe, es_err *e)
{
    char *txt;
    size_t n;
    cJSON *root = es_json_load(encoder_json, e);
    if (!root)
        return NULL;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        es_fail(e, "%s: not a JSON object of token -> id", encoder_json);
        return NULL;
    }
    gd_tokenizer *t = es_xcalloc(1, sizeof *t);
    build_byte_table(t);
    int cnt = cJSON_GetArraySize(root);
    smap_init(&t->enc, (size_t)cnt);
    int maxid = -1;
    for (cJSON *it = root->child; it; it = it->next) {
        if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1e7 ||
            it->valueint != it->valuedouble) {
            es_fail(e, "%s: token '%s': id must be a non-negative integer", encoder_json, it->string);
            goto bad;
        }
        if (!smap_put(&t->enc, it->string, strlen(it->string), it->valueint)) {
            es_fail(e, "%s: token '%s' appears twice", encoder_json, it->string);
            goto bad;
        }
        if (it->valueint > maxid)
            maxid = it->valueint;
    }
    t->vocab = maxid + 1;
    t->id2s = es_xcalloc((size_t)(t->vocab ? t->vocab : 1), sizeof *t->id2s);
    for (size_t i = 0; i < t->enc.cap; i++)
        if (t->enc.key[i]) {
            if (t->id2s[t->enc.val[i]]) {
                es_fail(e, "%s: id %d is given to two tokens", encoder_json, t->enc.val[i]);
                goto bad;
            }
            t->id2s[t->enc.val[i]] = t->enc.key[i];
        }
    for (int i = 0; i < t->vocab; i++)
        if (!t->id2s[i]) {
            es_fail(e, "%s: ids are not contiguous (id %d missing)", encoder_json, i);
            goto bad;
        }
    cJSON_Delete(root);
    root = NULL;

    if (es_read_file(vocab_bpe, &txt, &n, e) != 0)
        goto bad;
    smap_init(&t->merges, 60000);
    int rank = 0, line = 0;
    for (char *p = txt; *p;) {
        char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        char *next = nl ? nl + 1 : p + l; /* before l drops a '\r' */
        line++;
        if (l && p[l - 1] == '\r')
            l--;
        if (l && !(line == 1 && !strncmp(p, "#version", 8))) {
            char *sp = memchr(p, ' ', l);
            if (!sp || sp == p || sp == p + l - 1 || memchr(sp + 1, ' ', l - (size_t)(sp + 1 - p))) {
                es_fail(e, "%s:%d: expected a merge 'A B'", vocab_bpe, line);
                free(txt);
                goto bad;
            }
            smap_put(&t->merges, p, l, rank++);
        }
        p = next;
    }
    free(txt);
    return t;
bad:
    cJSON_Delete(root);
    gd_tok_free(t);
    return NULL;
}

gd_tokenizer *gd_tok_load_gpt2(es_err *e)
{
    char dir[4096], enc[4200], bpe[4200];
    if (!es_bundled_dir("data", dir, sizeof dir)) {
        es_fail(e, "GPT-2 tokenizer files not found (data/gpt2/encoder.json); run 'make deps'");
        return NULL;
    }
    snprintf(enc, sizeof enc, "%s/gpt2/encoder.json", dir);
    snprintf(bpe, sizeof bpe, "%s/gpt2/vocab.bpe", dir);
    return gd_tok_load(enc, bpe, e);
}

/* ---- pre-tokenizer --------------------------------------------------------- */
enum { C_LETTER, C_NUMBER, C_SPACE, C_OTHER };

/* Decode one UTF-8 character at s[i] (< n); returns its length (an invalid
 * byte is one character of class OTHER, cp = -1). */
static int utf8_at(const unsigned char *s, size_t n, size_t i, int32_t *cp)
{
    unsigned c = s[i];
    int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + (size_t)len > n) {
        *cp = -1;
        return 1;
    }
    int32_t v = len == 1 ? (int32_t)c : len == 2 ? (int32_t)(c & 0x1F) : len == 3 ? (int32_t)(c & 0x0F) : (int32_t)(c & 0x07);
    for (int k = 1; k < len; k++) {
        if ((s[i + (size_t)k] & 0xC0) != 0x80) {
            *cp = -1;
            return 1;
        }
        v = (v << 6) | (s[i + (size_t)k] & 0x3F);
    }
    static const int32_t minv[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < minv[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = -1;
        return 1;
    }
    *cp = v;
    return len;
}

static int in(int32_t c, int32_t lo, int32_t hi) { return c >= lo && c <= hi; }

static int char_class(int32_t c)
{
    if (c < 0)
        return C_OTHER;
    if (c < 0x80) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            return C_LETTER;
        if (c >= '0' && c <= '9')
            return C_NUMBER;
        if (c == ' ' || in(c, 9, 13))
            return C_SPACE;
        return C_OTHER;
    }
    if (c == 0x85 || c == 0xA0 || c == 0x1680 || in(c, 0x2000, 0x200A) || c == 0x2028 || c == 0x2029 ||
        c == 0x202F || c == 0x205F || c == 0x3000)
        return C_SPACE;
    if (c == 0xB2 || c == 0xB3 || c == 0xB9 || in(c, 0xBC, 0xBE) || in(c, 0x660, 0x669) || in(c, 0x6F0, 0x6F9) ||
        in(c, 0x966, 0x96F) || in(c, 0x2070, 0x2079) || in(c, 0x2080, 0x2089) || in(c, 0x2150, 0x218B) ||
        in(c, 0x2460, 0x249B) || in(c, 0xFF10, 0xFF19))
        return C_NUMBER;
    if (c < 0xC0)
        return (c == 0xAA || c == 0xB5 || c == 0xBA) ? C_LETTER : C_OTHER;
    if (c == 0xD7 || c == 0xF7 || in(c, 0x300, 0x36F) || in(c, 0x2000, 0x2BFF) || in(c, 0x3000, 0x303F) ||
        in(c, 0xE000, 0xF8FF) || in(c, 0xFE00, 0xFE4F) || in(c, 0xFF00, 0xFF0F) || in(c, 0xFF1A, 0xFF20) ||
        in(c, 0xFF3B, 0xFF40) || in(c, 0xFF5B, 0xFF65) || in(c, 0xFFF0, 0xFFFF) || in(c, 0x1F000, 0x1FAFF))
        return C_OTHER;
    return C_LETTER;
}

/* Length in bytes of the pre-token starting at s[i], following the pattern's
 * alternatives in order (leftmost alternative that matches, each greedy). */
static size_t pretoken_len(const unsigned char *s, size_t n, size_t i)
{
    int32_t c0;
    int l0 = utf8_at(s, n, i, &c0);
    if (c0 == '\'' && i + 1 < n) {
        unsigned a = s[i + 1], b = i + 2 < n ? s[i + 2] : 0;
        if (a == 's' || a == 't' || a == 'm' || a == 'd')
            return 2;
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            return 3;
    }
    /* " ?X+" for X in letters, numbers, other: optional ASCII space first. */
    size_t j = i;
    int32_t c = c0;
    int l = l0;
    if (c0 == ' ' && i + 1 < n) {
        j = i + 1;
        l = utf8_at(s, n, j, &c);
    }
    int k = char_class(c);
    if (j < n && k != C_SPACE) {
        size_t p = j;
        while (p < n) {
            int32_t cc;
            int ll = utf8_at(s, n, p, &cc);
            if (char_class(cc) != k)
                break;
            p += (size_t)ll;
        }
        return p - i;
    }
    (void)l;
    /* Whitespace: \s+(?!\S) takes the run except its last character when a
     * non-space follows (and the run is longer than one); else \s+. */
    size_t p = i, last = i;
    int count = 0;
    while (p < n) {
        int32_t cc;
        int ll = utf8_at(s, n, p, &cc);
        if (char_class(cc) != C_SPACE)
            break;
        last = p;
        p += (size_t)ll;
        count++;
    }
    if (p < n && count > 1)
        return last - i;
    return p - i;
}

/* ---- BPE ---------------------------------------------------------------- */
typedef struct sym {
    size_t start, len; /* bytes of the stand-in string */
} sym;

static int push_id(int **ids, int *n, int *cap, int id)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *ids = es_xrealloc(*ids, (size_t)*cap * sizeof **ids);
    }
    (*ids)[(*n)++] = id;
    return 0;
}

/* Rank of merging symbols p[0] and p[1] of w, or -1. */
static int pair_rank(const gd_tokenizer *t, const char *w, const sym *p, char *key)
{
    memcpy(key, w + p[0].start, p[0].len);
    key[p[0].len] = ' ';
    memcpy(key + p[0].len + 1, w + p[1].start, p[1].len);
    return smap_get(&t->merges, key, p[0].len + 1 + p[1].len);
}

static int bpe_piece(const gd_tokenizer *t, const unsigned char *s, size_t len, int **ids, int *n, int *cap,
                     es_err *e)
{
    /* Stand-in string: each byte -> 1 or 2 UTF-8 bytes. */
    char *w = es_xmalloc(len * 2 + 1);
    sym *sy = es_xmalloc(len * sizeof *sy);
    size_t wl = 0;
    int ns = 0;
    for (size_t i = 0; i < len; i++) {
        const char *u = t->b2u[s[i]];
        size_t ul = u[1] ? 2 : 1;
        sy[ns].start = wl;
        sy[ns++].len = ul;
        memcpy(w + wl, u, ul);
        wl += ul;
    }
    w[wl] = '\0';
    /* rank[i]: merge rank of the pair (i, i+1), -1 if none.  After a merge
     * step only pairs touching a merged symbol are looked up again (a symbol
     * copied unchanged keeps its old index in from[]), so long pieces cost
     * one hash lookup per change rather than per pair and step. */
    char *key = es_xmalloc(wl + 2);
    int *rank = es_xmalloc((len + 1) * sizeof *rank), *nrank = es_xmalloc((len + 1) * sizeof *nrank);
    int *from = es_xmalloc(len * sizeof *from);
    for (int i = 0; i + 1 < ns; i++)
        rank[i] = pair_rank(t, w, &sy[i], key);
    for (;;) {
        int best = -1, bi = -1;
        for (int i = 0; i + 1 < ns; i++)
            if (rank[i] >= 0 && (best < 0 || rank[i] < best))
                best = rank[i], bi = i;
        if (best < 0)
            break;
        /* Merge every occurrence of this pair, left to right, as encoder.py does. */
        size_t al = sy[bi].len, bl = sy[bi + 1].len;
        const char *a = w + sy[bi].start, *b = w + sy[bi + 1].start;
        int o = 0;
        for (int i = 0; i < ns;) {
            if (i + 1 < ns && rank[i] == best && sy[i].len == al && sy[i + 1].len == bl &&
                !memcmp(w + sy[i].start, a, al) && !memcmp(w + sy[i + 1].start, b, bl)) {
                sy[o].start = sy[i].start;
                sy[o].len = al + bl;
                from[o++] = -1;
                i += 2;
            } else {
                sy[o] = sy[i];
                from[o++] = i++;
            }
        }
        for (int j = 0; j + 1 < o; j++)
            nrank[j] = from[j] >= 0 && from[j + 1] == from[j] + 1 ? rank[from[j]] : pair_rank(t, w, &sy[j], key);
        int *tmp = rank;
        rank = nrank;
        nrank = tmp;
        ns = o;
    }
    int rc = 0;
    for (int i = 0; i < ns && rc == 0; i++) {
        int id = smap_get(&t->enc, w + sy[i].start, sy[i].len);
        if (id < 0)
            rc = es_fail(e, "tokenizer: symbol '%.*s' has no id in encoder.json", (int)sy[i].len, w + sy[i].start);
        else
            push_id(ids, n, cap, id);
    }
    free(key);
    free(rank);
    free(nrank);
    free(from);
    free(sy);
    free(w);
    return rc;
}

int gd_tok_encode(const gd_tokenizer *t, const char *text, size_t len, int **ids, int *n, es_err *e)
{
    const unsigned char *s = (const unsigned char *)text;
    int cap = 0;
    *ids = NULL;
    *n = 0;
    for (size_t i = 0; i < len;) {
        size_t l = pretoken_len(s, len, i);
        if (l == 0)
            l = 1; /* defensive: always progress */
        if (bpe_piece(t, s + i, l, ids, n, &cap, e) != 0) {
            free(*ids);
            *ids = NULL;
            *n = 0;
            return -1;
        }
        i += l;
    }
    return 0;
}

char *gd_tok_decode(const gd_tokenizer *t, const int *ids, int n, size_t *len, es_err *e)
{
    size_t cap = 64, used = 0;
    char *out = es_xmalloc(cap);
    for (int k = 0; k < n; k++) {
        if (ids[k] < 0 || ids[k] >= t->vocab) {
            free(out);
            es_fail(e, "tokenizer: token id %d outside the vocabulary [0, %d)", ids[k], t->vocab);
            return NULL;
        }
        const unsigned char *s = (const unsigned char *)t->id2s[ids[k]];
        size_t sl = strlen((const char *)s);
        for (size_t i = 0; i < sl;) {
            int32_t cp;
            i += (size_t)utf8_at(s, sl, i, &cp);
            if (used + 2 > cap)
                out = es_xrealloc(out, cap *= 2);
            /* Every stand-in is < 324; a token holding anything else decodes to
             * its own UTF-8 bytes (not produced by the GPT-2 files). */
            if (cp >= 0 && cp < 324 && t->u2b[cp] >= 0)
                out[used++] = (char)t->u2b[cp];
            else
                out[used++] = '?';
        }
    }
    out[used] = '\0';
    if (len)
        *len = used;
    return out;
}
