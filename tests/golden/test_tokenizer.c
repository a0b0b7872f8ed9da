/* golden room: GPT-2 BPE tokenizer against known encodings and round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/tokenizer.h"

static gd_tokenizer *tok;

static int setup(void **state)
{
    (void)state;
    es_err e;
    tok = gd_tok_load_gpt2(&e);
    if (!tok)
        fprintf(stderr, "tokenizer: %s\n", e.msg);
    return tok ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    gd_tok_free(tok);
    return 0;
}

static void expect_ids(const char *text, const int *want, int nwant)
{
    es_err e;
    int *ids, n;
    assert_int_equal(gd_tok_encode(tok, text, strlen(text), &ids, &n, &e), 0);
    if (n != nwant) {
        fprintf(stderr, "'%s': got %d ids:", text, n);
        for (int i = 0; i < n; i++)
            fprintf(stderr, " %d", ids[i]);
        fprintf(stderr, "\n");
    }
    assert_int_equal(n, nwant);
    for (int i = 0; i < n; i++)
        assert_int_equal(ids[i], want[i]);
    size_t len;
    char *back = gd_tok_decode(tok, ids, n, &len, &e);
    assert_non_null(back);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(back, text, len);
    free(back);
    free(ids);
}

#define EXPECT(text, ...)                                                                                          \
    do {                                                                                                           \
        static const int w_[] = {__VA_ARGS__};                                                                     \
        expect_ids(text, w_, (int)(sizeof w_ / sizeof w_[0]));                                                     \
    } while (0)

/* Vectors: "hello world" (issue 2) and
 * llama.cpp's ggml-vocab-gpt-2 tokenizer test file. */
static void test_known_encodings(void **state)
{
    (void)state;
    assert_int_equal(gd_tok_vocab_size(tok), 50257);
    EXPECT("hello world", 31373, 995);
    EXPECT("Hello world", 15496, 995);
    EXPECT(" Hello world", 18435, 995);
    EXPECT("Hello, world!", 15496, 11, 995, 0);
    EXPECT(" ", 220);
    EXPECT("\t", 197);
    EXPECT("\n", 198);
    EXPECT("\n\n", 628);
    EXPECT("\n\n\n", 628, 198);
    EXPECT("3", 18);
    EXPECT("3333", 24840);
    EXPECT("33333", 2091, 20370);
    EXPECT(" this is \xF0\x9F\xA6\x99.cpp", 428, 318, 12520, 99, 247, 13, 20322);
    EXPECT("F\xC3\xBChrer", 37, 9116, 71, 11751);
}

/* The empty string and a special-token string are ordinary text. */
static void test_edges(void **state)
{
    (void)state;
    es_err e;
    int *ids, n;
    assert_int_equal(gd_tok_encode(tok, "", 0, &ids, &n, &e), 0);
    assert_int_equal(n, 0);
    free(ids);
    int eot = 50256;
    size_t len;
    char *s = gd_tok_decode(tok, &eot, 1, &len, &e);
    assert_string_equal(s, "<|endoftext|>");
    free(s);
    int bad = 50257;
    assert_null(gd_tok_decode(tok, &bad, 1, &len, &e));
    assert_non_null(strstr(e.msg, "50257"));
}

/* Contractions and whitespace runs split as GPT-2's pattern prescribes:
 * checked through the round trip and the piece structure (each piece of a
 * split is its own token sequence, so encoding the pieces separately and
 * concatenating must give the same ids). */
static void pieces_equal(const char *whole, const char *const *pieces)
{
    es_err e;
    int *a, na;
    assert_int_equal(gd_tok_encode(tok, whole, strlen(whole), &a, &na, &e), 0);
    int *b = NULL, nb = 0;
    for (int i = 0; pieces[i]; i++) {
        int *p, np;
        assert_int_equal(gd_tok_encode(tok, pieces[i], strlen(pieces[i]), &p, &np, &e), 0);
        b = realloc(b, (size_t)(nb + np) * sizeof *b);
        memcpy(b + nb, p, (size_t)np * sizeof *p);
        nb += np;
        free(p);
    }
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, (size_t)na * sizeof *a);
    free(a);
    free(b);
}

static void test_pretokenizer_structure(void **state)
{
    (void)state;
    pieces_equal("don't we'll I've", (const char *const[]){"don", "'t", " we", "'ll", " I", "'ve", NULL});
    pieces_equal("a   b", (const char *const[]){"a", "  ", " b", NULL});
    pieces_equal("x  \n", (const char *const[]){"x", "  \n", NULL});
    pieces_equal("abc123def", (const char *const[]){"abc", "123", "def", NULL});
    pieces_equal("hi!!?' there", (const char *const[]){"hi", "!!?'", " there", NULL});
}

static void test_round_trips(void **state)
{
    (void)state;
    static const char *texts[] = {
        "The quick brown fox jumps over the lazy dog.",
        "  leading and trailing spaces  ",
        "tabs\tand\nnewlines\r\n\r\nmixed \t \n",
        "Numbers 1234567890 and 3.14159, 1e-9!",
        "Caf\xC3\xA9 na\xC3\xAFve \xC3\xBC\xC3\xB6\xC3\xA4 \xCE\xB1\xCE\xB2\xCE\xB3 \xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",
        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9\xE3\x83\x88",
        "emoji \xF0\x9F\x98\x80\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD and symbols \xE2\x82\xAC\xE2\x84\xA2\xE2\x80\x94",
        "code: for (int i = 0; i < n; i++) { x[i] += y[i]; }",
        "bytes \x01\x02\x7f and invalid \xff\xfe utf-8 \xC3",
    };
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        es_err e;
        int *ids, n;
        size_t len = strlen(texts[k]);
        assert_int_equal(gd_tok_encode(tok, texts[k], len, &ids, &n, &e), 0);
        assert_true(n > 0 && (size_t)n <= len);
        size_t bl;
        char *back = gd_tok_decode(tok, ids, n, &bl, &e);
        assert_non_null(back);
        assert_int_equal(bl, len);
        assert_memory_equal(back, texts[k], len);
        free(back);
        free(ids);
    }
}

static void test_bad_files(void **state)
{
    (void)state;
    es_err e;
    assert_null(gd_tok_load("/nonexistent/encoder.json", "/nonexistent/vocab.bpe", &e));
    assert_non_null(strstr(e.msg, "/nonexistent/encoder.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_encodings),       cmocka_unit_test(test_edges),
        cmocka_unit_test(test_pretokenizer_structure), cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
