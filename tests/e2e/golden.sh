# einsim golden forward / generate, as a README user runs them, plus bad
# inputs (one-line errors, exit status 2).  Models are tiny YAMLs so this
# stays fast; one real-size GPT-2 run checks the bundled name and tokenizer.
. "$(dirname "$0")/lib.sh"

tiny_gpt2 "$TMPD/tiny-gpt2.yaml" tiny-gpt2 32 2 4 64 50257
cat >"$TMPD/tiny-bert.yaml" <<'EOF'
name: tiny-bert
family: bert
arch: encoder
d_model: 32
n_layers: 2
n_heads: 4
ffn_dim: 64
ffn_act: gelu
vocab: 100
max_seq: 32
type_vocab: 2
norm: layernorm
norm_pos: post
norm_eps: 1.0e-12
embed_norm: true
bias: true
pos: learned
head: pooler
EOF
cat >"$TMPD/tiny-llama.yaml" <<'EOF'
name: tiny-llama
family: llama
arch: decoder
d_model: 32
n_layers: 2
n_heads: 4
n_kv_heads: 2
head_dim: 8
ffn_dim: 48
ffn_act: swiglu
vocab: 300
max_seq: 64
norm: rmsnorm
norm_pos: pre
norm_eps: 1.0e-5
bias: false
pos: rope
rope_theta: 10000
head: lm
tied_embeddings: false
EOF
G="$EINSIM golden"

# forward: logits file is tokens x vocab fp32
expect_ok forward-tokens $G forward --model "$TMPD/tiny-gpt2.yaml" --seed 3 --tokens "17 531 2" --dump-logits "$TMPD/a.bin"
sz=$(stat -c %s "$TMPD/a.bin" 2>/dev/null || echo 0)
if [ "$sz" -eq $((3 * 50257 * 4)) ]; then pass logits-size; else fail logits-size "got $sz bytes"; fi
expect_ok forward-again $G forward --model "$TMPD/tiny-gpt2.yaml" --seed 3 --tokens "17,531,2" --dump-logits "$TMPD/b.bin"
if cmp -s "$TMPD/a.bin" "$TMPD/b.bin"; then pass deterministic; else fail deterministic "logits differ between runs"; fi
$G forward --model "$TMPD/tiny-gpt2.yaml" --seed 3 --tokens "17 531 2" --dump-logits - 2>/dev/null >"$TMPD/s.bin"
if cmp -s "$TMPD/a.bin" "$TMPD/s.bin"; then pass logits-stdout; else fail logits-stdout "'--dump-logits -' differs from the file"; fi
$G forward --model "$TMPD/tiny-gpt2.yaml" --seed 3 --text "hello world" >"$TMPD/o1" 2>&1
$G forward --model "$TMPD/tiny-gpt2.yaml" --seed 3 --text "hello world" >"$TMPD/o2" 2>&1
if cmp -s "$TMPD/o1" "$TMPD/o2"; then pass stdout-deterministic; else fail stdout-deterministic "two runs print different text"; fi
$G forward --model "$TMPD/tiny-gpt2.yaml" --seed 4 --tokens "17 531 2" --dump-logits "$TMPD/c.bin" >/dev/null 2>&1
if cmp -s "$TMPD/a.bin" "$TMPD/c.bin"; then fail seed-matters "seed 4 gave seed 3's logits"; else pass seed-matters; fi

# --text goes through the GPT-2 tokenizer: "hello world" -> 31373 995
$G forward --model "$TMPD/tiny-gpt2.yaml" --text "hello world" >"$TMPD/out" 2>&1
if grep -q "^tokens (2): 31373 995$" "$TMPD/out"; then pass text-tokens; else fail text-tokens "$(head -c 300 "$TMPD/out")"; fi

# safetensors: save the synthetic weights, reload them through config.json
mkdir -p "$TMPD/ckpt"
expect_ok save-weights $G forward --model "$TMPD/tiny-gpt2.yaml" --seed 3 --tokens "17 531 2" --save-weights "$TMPD/ckpt/model.safetensors"
cat >"$TMPD/ckpt/config.json" <<'EOF'
{"model_type": "gpt2", "n_embd": 32, "n_layer": 2, "n_head": 4, "vocab_size": 50257,
 "n_positions": 64, "n_inner": 64, "layer_norm_epsilon": 1e-05, "activation_function": "gelu_new"}
EOF
expect_ok forward-weights-config $G forward --weights "$TMPD/ckpt/model.safetensors" --tokens "17 531 2" --dump-logits "$TMPD/d.bin"
if cmp -s "$TMPD/a.bin" "$TMPD/d.bin"; then pass reload-exact; else fail reload-exact "reloaded weights give other logits"; fi
expect_ok forward-weights-model $G forward --model "$TMPD/tiny-gpt2.yaml" --weights "$TMPD/ckpt/model.safetensors" --tokens "17 531 2" --dump-logits "$TMPD/e.bin"
if cmp -s "$TMPD/a.bin" "$TMPD/e.bin"; then pass reload-exact-model; else fail reload-exact-model "logits differ"; fi

# generate: ids (and text, since the vocabulary is GPT-2's)
$G generate --model "$TMPD/tiny-gpt2.yaml" --seed 3 --text "hello world" --gen 5 >"$TMPD/out" 2>&1
if grep -q "^generated (5):" "$TMPD/out" && grep -q "^text: " "$TMPD/out"; then pass generate; else fail generate "$(head -c 300 "$TMPD/out")"; fi
expect_ok generate-llama $G generate --model "$TMPD/tiny-llama.yaml" --seed 2 --tokens "1 2 3" --gen 4
if grep -q "^generated (4):" "$TMPD/out"; then pass generate-llama-ids; else fail generate-llama-ids "$(head -c 300 "$TMPD/out")"; fi

# BERT: last hidden state tokens x d_model
expect_ok forward-bert $G forward --model "$TMPD/tiny-bert.yaml" --tokens "5 6 7 8" --dump-logits "$TMPD/h.bin"
sz=$(stat -c %s "$TMPD/h.bin" 2>/dev/null || echo 0)
if [ "$sz" -eq $((4 * 32 * 4)) ]; then pass hidden-size; else fail hidden-size "got $sz bytes"; fi

# a real-size bundled model by name
expect_ok gpt2-small $G forward --model gpt2-small --text "Hello, world!"
if grep -q "^tokens (4): 15496 11 995 0$" "$TMPD/out"; then pass gpt2-small-tokens; else fail gpt2-small-tokens "$(head -c 300 "$TMPD/out")"; fi

# bad inputs: one line, status 2
expect_err unknown-model 2 "unknown models name 'gpt9'" $G forward --model gpt9 --tokens "1"
expect_err no-config 2 "config.json" $G forward --weights "$TMPD/a.bin" --tokens "1"
head -c 1000 "$TMPD/ckpt/model.safetensors" >"$TMPD/ckpt/trunc.safetensors"
expect_err truncated 2 "trunc.safetensors: .*truncated" $G forward --model "$TMPD/tiny-gpt2.yaml" --weights "$TMPD/ckpt/trunc.safetensors" --tokens "1"
printf 'garbage that is not a safetensors file' >"$TMPD/ckpt/bad.safetensors"
expect_err corrupt 2 "bad.safetensors: corrupt or truncated" $G forward --model "$TMPD/tiny-gpt2.yaml" --weights "$TMPD/ckpt/bad.safetensors" --tokens "1"
sed 's/ffn_dim: 64/ffn_dim: 96/' "$TMPD/tiny-gpt2.yaml" >"$TMPD/wide.yaml"
expect_err wrong-shape 2 "model.safetensors: tensor 'h.0.mlp.c_fc.weight': shape \[32, 64\], expected \[32, 96\]" $G forward --model "$TMPD/wide.yaml" --weights "$TMPD/ckpt/model.safetensors" --tokens "1"
sed 's/n_layers: 2/n_layers: 3/' "$TMPD/tiny-gpt2.yaml" >"$TMPD/deep.yaml"
expect_err missing-tensor 2 "tensor 'h.2.ln_1.weight' not found" $G forward --model "$TMPD/deep.yaml" --weights "$TMPD/ckpt/model.safetensors" --tokens "1"
expect_err bad-token 2 "token id 300 outside the vocabulary" $G forward --model "$TMPD/tiny-llama.yaml" --tokens "1 300"
expect_err bad-tokens-text 2 "tokens: expected non-negative integer" $G forward --model "$TMPD/tiny-llama.yaml" --tokens "1 x"
expect_err too-long 2 "exceed the 64 positions" $G generate --model "$TMPD/tiny-llama.yaml" --tokens "1 2" --gen 63
expect_err text-small-vocab 2 "GPT-2 tokenizer has 50257 tokens" $G forward --model "$TMPD/tiny-llama.yaml" --text "hi"
expect_err bert-generate 2 "encoder" $G generate --model "$TMPD/tiny-bert.yaml" --tokens "1" --gen 2
expect_err both-inputs 2 "exactly one of --tokens and --text" $G forward --model "$TMPD/tiny-bert.yaml" --tokens "1" --text "a"
expect_err unsupported-family 2 "supports the gpt2, bert and llama families" $G forward --model t5-small --tokens "1"
expect_err bad-subcommand 2 "expected 'forward', 'generate', 'quantize' or 'kernel NAME', got 'fwd'" $G fwd --model gpt2-small
expect_err bad-option 2 "unknown option '--tokns'" $G forward --model gpt2-small --tokns "1"
