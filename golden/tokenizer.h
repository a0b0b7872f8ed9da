/* golden/tokenizer.h: GPT-2 byte-level BPE (Radford et al. 2019; OpenAI's
 * encoder.py) from encoder.json + vocab.bpe.
 *
 * encode: pre-tokenize with GPT-2's pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (implemented by hand over UTF-8; ASCII classes are exact, non-ASCII
 * letters/numbers/whitespace follow the approximation documented in
 * tokenizer.c), map each byte of a piece to its printable stand-in
 * (bytes_to_unicode), merge adjacent symbols by lowest rank (line order of
 * vocab.bpe) until no pair has a rank, and look the symbols up in
 * encoder.json.  "<|endoftext|>" in the text is ordinary text, as in
 * encoder.py; its id (50256) decodes to that string.
 * decode: concatenate the token strings and map stand-ins back to bytes. */
#ifndef GOLDEN_TOKENIZER_H
#define GOLDEN_TOKENIZER_H

#include <stddef.h>

#include "golden/base/err.h"

typedef struct gd_tokenizer gd_tokenizer;

/* Load from the two files; NULL with e naming the file on error. */
gd_tokenizer *gd_tok_load(const char *encoder_json, const char *vocab_bpe, es_err *e);
/* Load the bundled GPT-2 files (data/gpt2/ fetched by `make deps`). */
gd_tokenizer *gd_tok_load_gpt2(es_err *e);
void gd_tok_free(gd_tokenizer *t);
int gd_tok_vocab_size(const gd_tokenizer *t);

/* Encode len bytes of text; *ids is malloc'd (caller frees), *n its length. */
int gd_tok_encode(const gd_tokenizer *t, const char *text, size_t len, int **ids, int *n, es_err *e);
/* Decode to a malloc'd NUL-terminated byte string (may hold invalid UTF-8
 * when the ids split a character); -1 on an id outside the vocabulary. */
char *gd_tok_decode(const gd_tokenizer *t, const int *ids, int n, size_t *len, es_err *e);

#endif
