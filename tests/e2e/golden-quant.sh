# einsim golden forward/generate --quant and golden quantize: every format
# runs and reports its error and weight bytes; a GPTQ checkpoint written by
# `golden quantize` reads back through `forward --weights` to the very same
# logits; GPTQ beats RTN on the same model; malformed formats, packed
# tensors and calibration files give one-line errors with status 2.
. "$(dirname "$0")/lib.sh"

tiny_gpt2 "$TMPD/q-gpt2.yaml" q-gpt2 256 2 4 512 300
G="$EINSIM golden"
M="--model $TMPD/q-gpt2.yaml --seed 3"
TOK="17 31 2 200 5 9 100 7"

for f in int8 llm.int8 gptq4-g128 gptq3-g128 gptq4-g32 gptq3-g32 rtn4-g128 rtn3-g128 rtn4-g32 rtn3-g32 q8_0 q4_0 q4_k fp8-e4m3 fp8-e5m2 mxfp4; do
    c=""
    case $f in gptq*) c="--calib 1" ;; esac
    if $G forward $M --tokens "$TOK" --quant $f $c >"$TMPD/o" 2>"$TMPD/e" &&
        grep -Eq "^quant $f: 8 block matrices, 1048576 weights: [0-9]+ bytes" "$TMPD/o" &&
        grep -Eq "^error vs fp32: max \|diff\| [0-9.e-]+, relative [0-9.e-]+, top-1 agreement [0-8]/8" "$TMPD/o"; then
        pass "forward-$f"
    else fail "forward-$f" "$(cat "$TMPD/e" "$TMPD/o" | head -c 400)"; fi
done
# fp16 weights are close to fp32; q8_0 within a few percent
rel() { sed -n 's/^error vs fp32: .*relative \([0-9.e-]*\),.*/\1/p' "$1"; }
$G forward $M --tokens "$TOK" --quant fp16 >"$TMPD/f16" 2>&1
awk -v r="$(rel "$TMPD/f16")" 'BEGIN{exit !(r < 0.005)}' && pass fp16-small-error || fail fp16-small-error "relative $(rel "$TMPD/f16")"
# GPTQ below RTN (same bits and group) on this model
$G forward $M --tokens "$TOK" --quant gptq4-g128 --calib 1 >"$TMPD/g" 2>&1
$G forward $M --tokens "$TOK" --quant rtn4-g128 >"$TMPD/r" 2>&1
awk -v g="$(rel "$TMPD/g")" -v r="$(rel "$TMPD/r")" 'BEGIN{exit !(g < r)}' && pass gptq-below-rtn || fail gptq-below-rtn "gptq $(rel "$TMPD/g") rtn $(rel "$TMPD/r")"
# deterministic
$G forward $M --tokens "$TOK" --quant gptq4-g128 --calib 1 >"$TMPD/g2" 2>&1
cmp -s "$TMPD/g" "$TMPD/g2" && pass gptq-deterministic || fail gptq-deterministic "outputs differ"
expect_ok generate-quant $G generate $M --tokens "1 2 3" --gen 4 --quant q4_0
grep -Eq "^generated tokens equal to fp32's: first [0-4] of 4" "$TMPD/out" && pass generate-agreement || fail generate-agreement "$(cat "$TMPD/out")"
expect_ok act-order $G forward $M --tokens "$TOK" --quant gptq3-g32 --calib 2 --act-order

# quantize -> checkpoint -> forward --weights: the same logits bit for bit
mkdir -p "$TMPD/ck"
expect_ok quantize $G quantize $M --quant gptq4-g128 --calib 1 -o "$TMPD/ck/q.safetensors"
expect_ok quant-forward $G forward $M --tokens "$TOK" --quant gptq4-g128 --calib 1 --dump-logits "$TMPD/a.bin"
expect_ok readback-forward $G forward --model "$TMPD/q-gpt2.yaml" --weights "$TMPD/ck/q.safetensors" --tokens "$TOK" --dump-logits "$TMPD/b.bin"
cmp -s "$TMPD/a.bin" "$TMPD/b.bin" && pass readback-same-logits || fail readback-same-logits "logits differ"
$G forward $M --tokens "$TOK" --save-weights "$TMPD/ck/fp32.safetensors" >/dev/null 2>&1
expect_ok quantize-from-weights $G quantize --model "$TMPD/q-gpt2.yaml" --weights "$TMPD/ck/fp32.safetensors" --quant rtn3-g32 -o "$TMPD/ck/r.safetensors"
expect_ok readback-rtn3 $G forward --model "$TMPD/q-gpt2.yaml" --weights "$TMPD/ck/r.safetensors" --tokens "$TOK"

# malformed input
expect_err bad-format 2 "--quant 'int9': unknown format" $G forward $M --tokens "1" --quant int9
expect_err bits-range 2 "--quant 'gptq5-g128': bits out of range" $G forward $M --tokens "1" --quant gptq5-g128 --calib 1
expect_err odd-group 2 "--quant 'gptq4-g33': bad group size" $G forward $M --tokens "1" --quant gptq4-g33 --calib 1
expect_err gptq-no-calib 2 "GPTQ needs --calib" $G forward $M --tokens "1" --quant gptq4-g128
expect_err calib-not-gptq 2 "--calib applies only to gptq" $G forward $M --tokens "1" --quant q8_0 --calib 1
printf '1 2 3\n4 x 5\n' >"$TMPD/calib.txt"
expect_err calib-file 2 "calib.txt:2:3: expected a token id in \[0, 300\)" $G forward $M --tokens "1" --quant gptq4-g128 --calib "$TMPD/calib.txt"
sed 's/d_model: 256/d_model: 64/' "$TMPD/q-gpt2.yaml" >"$TMPD/narrow.yaml"
expect_err q4k-narrow 2 "tensor 'h.0.attn.c_attn.weight' has 64 inputs per row; the format needs a multiple of 256" $G forward --model "$TMPD/narrow.yaml" --seed 1 --tokens "1" --quant q4_k
expect_err quantize-not-gptq 2 "only gptq and rtn formats have a checkpoint layout" $G quantize $M --quant q4_0 -o "$TMPD/ck/x.safetensors"
expect_err quantize-no-out 2 "-o OUT.safetensors is required" $G quantize $M --quant rtn4-g128
# packed tensors cut short or with an impossible bit width
python3 - "$TMPD/ck/q.safetensors" "$TMPD/ck" <<'PY'
import json, struct, sys
src, out = sys.argv[1], sys.argv[2]
b = open(src, 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n]); data = b[8 + n:]
def write(path, edit):
    hh = {k: dict(v) for k, v in h.items()}
    bufs = []
    off = 0
    for k, v in h.items():
        if k == '__metadata__':
            continue
        chunk = data[v['data_offsets'][0]:v['data_offsets'][1]]
        chunk, shape = edit(k, chunk, list(v['shape']))
        hh[k]['shape'] = shape
        hh[k]['data_offsets'] = [off, off + len(chunk)]
        off += len(chunk)
        bufs.append(chunk)
    j = json.dumps(hh).encode()
    j += b' ' * ((8 - len(j) % 8) % 8)
    open(path, 'wb').write(struct.pack('<Q', len(j)) + j + b''.join(bufs))
def short(k, c, s):
    if k == 'h.1.mlp.c_fc.qweight':
        return c[:-4 * s[1]], [s[0] - 1, s[1]]
    return c, s
def bits5(k, c, s):
    if k == 'h.0.attn.c_proj.qweight':  # 4-bit [32, 256] -> 40 rows = 5 bits
        return c + c[:8 * 4 * s[1]], [s[0] + 8, s[1]]
    return c, s
def gidx(k, c, s):
    if k == 'h.0.mlp.c_proj.g_idx':
        return struct.pack('<i', 7) + c[4:], s
    return c, s
write(out + '/short.safetensors', short)
write(out + '/bits5.safetensors', bits5)
write(out + '/gidx.safetensors', gidx)
PY
expect_err packed-short 2 "short.safetensors: tensor 'h.1.mlp.c_fc.qweight': I32 shape \[31, 512\]; expected I32 \[256\*bits/32, 512\]" $G forward --model "$TMPD/q-gpt2.yaml" --weights "$TMPD/ck/short.safetensors" --tokens "1"
expect_err packed-bits 2 "bits5.safetensors: tensor 'h.0.attn.c_proj.qweight': 40 rows for 256 inputs means 5 bits; expected 2, 3, 4 or 8" $G forward --model "$TMPD/q-gpt2.yaml" --weights "$TMPD/ck/bits5.safetensors" --tokens "1"
expect_err packed-gidx 2 "gidx.safetensors: tensor 'h.0.mlp.c_proj.qweight': g_idx\[0\] = 7; expected 0 to 3" $G forward --model "$TMPD/q-gpt2.yaml" --weights "$TMPD/ck/gidx.safetensors" --tokens "1"
