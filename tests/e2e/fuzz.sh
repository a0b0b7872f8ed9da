# Seeded mutation fuzzer over every kind of file einsim reads: arch, energy,
# model and mapping YAML, .ein cascades, JSON reports, config.json and
# safetensors headers.  Each bundled (or freshly written) file is mutated
# deterministically from FUZZ_SEED (number edits to extremes, hostile tokens,
# deleted spans, duplicated lines, truncation, byte flips) and fed to einsim.
# Every case must exit 0, or 2 with exactly one "einsim: ..." line on stderr;
# a signal, a sanitizer report, a hang (FUZZ_TIMEOUT s) or any other status
# fails (1, with nothing on stderr, is the documented answer of compare --diff
# and cascade run when a check found a difference).  FUZZ_CASES mutants per kind (default 24): a few seconds in all.
#   FUZZ_SEED=7 FUZZ_CASES=500 bash tests/e2e/fuzz.sh   # a longer hunt
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$TMPD/w
mkdir -p "$W"

# Inputs that are not bundled: a tiny GPT-2's weights and config.json, and
# a report to compare against.
sed -e 's/^name: .*/name: tiny-gpt2/' -e 's/^d_model: .*/d_model: 32/' -e 's/^n_layers: .*/n_layers: 2/' \
    -e 's/^n_heads: .*/n_heads: 4/' -e 's/^ffn_dim: .*/ffn_dim: 64/' -e 's/^vocab: .*/vocab: 100/' \
    -e 's/^max_seq: .*/max_seq: 64/' "$ROOT/models/gpt2-small.yaml" >"$W/tiny.yaml"
"$EINSIM" golden forward --model "$W/tiny.yaml" --seed 1 --tokens 1 --save-weights "$W/model.safetensors" \
    >/dev/null 2>&1 || fail fuzz_setup "cannot write tiny weights"
"$EINSIM" run --arch fusemax --model bert-base --seq 256 --json "$W/report.json" >/dev/null 2>&1 ||
    fail fuzz_setup "cannot write a report"

python3 - "$EINSIM" "$ROOT" "$W" "${FUZZ_SEED:-1}" "${FUZZ_CASES:-24}" "${FUZZ_TIMEOUT:-20}" <<'PY'
import json, os, random, re, struct, subprocess, sys, time
einsim, root, w, seed, cases, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rnd = random.Random(seed)
EXTREME = ['0', '-1', '1.5', '9223372036854775807', '9223372036854775808', '4611686018427387904', '1099511627777',
           '1e999', '-1e999', '1e-320', 'nan', '.inf', '0x10', '99999999999999999999999']
TOKENS = ['-', ':', '[', ']', '{', '}', ',', '"', "'", '#', '&a', '*a', '!!str', '\t', '\x00', '\xff', '\r',
          '(', ')', '=', '+', '*', '/', 'inf', '\n', '---', 'null', 'true', '~']

def mutate(text):
    for _ in range(rnd.randint(1, 3)):
        op = rnd.randrange(7)
        nums = [m.span() for m in re.finditer(r'-?\d+(\.\d+)?([eE][-+]?\d+)?', text)]
        if op <= 1 and nums:   # a number becomes an extreme one (twice as likely)
            a, b = rnd.choice(nums)
            text = text[:a] + rnd.choice(EXTREME) + text[b:]
            continue
        if not text:
            return rnd.choice(TOKENS)
        pos = rnd.randrange(len(text))
        if op == 2:
            text = text[:pos] + rnd.choice(TOKENS) + text[pos:]
        elif op == 3:
            text = text[:pos] + text[pos + rnd.randint(1, 40):]
        elif op == 4:
            lines = text.split('\n')
            j = rnd.randrange(len(lines))
            lines.insert(j, lines[rnd.randrange(len(lines))])
            text = '\n'.join(lines)
        elif op == 5:
            text = text[:pos]
        else:
            text = text[:pos] + chr(rnd.randrange(256)) + text[pos + 1:]
    return text

def rd(rel):
    return open(os.path.join(root, rel), 'rb').read().decode('latin-1')

def wr(path, text):
    with open(path, 'wb') as f:
        f.write(text.encode('latin-1') if isinstance(text, str) else text)

st = open(os.path.join(w, 'model.safetensors'), 'rb').read()
hlen = struct.unpack('<Q', st[:8])[0]
st_header, st_body = st[8:8 + hlen].decode('latin-1'), st[8 + hlen:]
config = json.dumps({"model_type": "gpt2", "n_embd": 32, "n_layer": 2, "n_head": 4, "vocab_size": 100,
                     "n_positions": 64, "n_inner": 64, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}, indent=1)
wr(os.path.join(w, 'config.json'), config)
os.symlink(os.path.join(w, 'model.safetensors'), os.path.join(w, 'cfgw.safetensors'))
ok = subprocess.run([einsim, 'golden', 'forward', '--weights', os.path.join(w, 'model.safetensors'), '--tokens', '1'],
                    capture_output=True)
if ok.returncode != 0:
    print('FAIL fuzz_setup: the unmutated config.json does not load: %s' % ok.stderr.decode(errors='replace')[:300])

arch_src = rd('sim/arch/fusemax.yaml')
kinds = {
    'arch': (['sim/arch/fusemax.yaml', 'sim/arch/tpu.yaml', 'sim/arch/flat.yaml'], '.yaml',
             lambda f, i: [['run', '--arch', f, '--model', 'bert-base', '--seq', '256'],
                           ['map', '--arch', f, '--model', 'bert-base', '--seq', '256', '--budget', '40']][i % 2]),
    'energy': (['sim/energy/fusemax-45nm.yaml'], '.yaml', None),
    'model': (['models/gpt2-small.yaml', 'models/llama-1b.yaml', 'models/vit-b16.yaml', '(tiny)'], '.yaml',
              lambda f, i: ['golden', 'forward', '--model', f, '--tokens', '1,2'] if i % 4 == 3 else
                           ['run', '--arch', ['fusemax', 'tpu', 'flat'][i % 3], '--model', f, '--seq', '256']),
    'mapping': (['mapper/mappings/fusemax.yaml', 'mapper/mappings/tpu.yaml'], '.yaml', None),
    'cascade': (['mapper/cascades/attention-1pass.ein', 'mapper/cascades/layer-gpt2.ein',
                 'mapper/cascades/linear-sparse.ein'], '.ein',
                # run only layer-gpt2 (0.4 s at its sizes; the others run tens of seconds)
                lambda f, i: ['cascade', 'run' if i % 3 == 1 else ['passes', 'check'][i % 2], f]),
    'report': ([os.path.join(w, 'report.json')], '.json',
               lambda f, i: ['compare'] + (['--diff'] if i % 2 else []) + [os.path.join(w, 'report.json'), f]),
    'config': ([os.path.join(w, 'config.json')], '.json', None),
    'safetensors': (['(header)'], '.safetensors',
                    lambda f, i: ['golden', 'forward', '--model', os.path.join(w, 'tiny.yaml'), '--weights', f,
                               '--tokens', '1']),
}
total = fails = zero = 0
for kind, (srcs, ext, cmd) in sorted(kinds.items()):
    for i in range(cases):
        src = srcs[i % len(srcs)]
        name = os.path.join(w, '%s-%03d%s' % (kind, i, ext))
        if kind == 'safetensors':
            h = mutate(st_header).encode('latin-1')
            n = len(h) if rnd.random() < 0.9 else rnd.choice([0, len(h) + 1, len(h) // 2, 2**63])
            wr(name, struct.pack('<Q', n) + h + st_body)
        elif kind == 'config':
            d = os.path.join(w, 'cfg%03d' % i)
            os.makedirs(d)
            wr(os.path.join(d, 'config.json'), mutate(config))
            os.symlink(os.path.join(w, 'model.safetensors'), os.path.join(d, 'model.safetensors'))
            name = os.path.join(d, 'model.safetensors')
        else:
            if src == '(tiny)':
                src = os.path.join(w, 'tiny.yaml')
            wr(name, mutate(rd(src) if not src.startswith('/') else open(src, 'rb').read().decode('latin-1')))
        if kind == 'energy':
            a = os.path.join(w, 'arch-%03d.yaml' % i)
            wr(a, re.sub(r'(?m)^energy: .*$', 'energy: ' + name, arch_src))
            argv = ['run', '--arch', a, '--model', 'bert-base', '--seq', '256']
        elif kind == 'mapping':
            arch = 'tpu' if 'tpu' in src else 'fusemax'
            argv = ['run', '--arch', arch, '--model', 'bert-base', '--seq', '1024', '--mapping', name]
        elif kind == 'config':
            argv = ['golden', 'forward', '--weights', name, '--tokens', '1']
        else:
            argv = cmd(name, i)
        total += 1
        why = None
        t0 = time.time()
        try:
            p = subprocess.run([einsim] + argv, capture_output=True, timeout=limit)
            err = p.stderr.decode('latin-1')
            lines = err.count('\n')
            if re.search(r'Sanitizer|runtime error', err):
                why = 'crash: ' + err[:300]
            elif p.returncode < 0:
                why = 'killed by signal %d' % -p.returncode
            elif p.returncode == 0 or (p.returncode == 1 and not err and ('--diff' in argv or argv[:2] == ['cascade', 'run'])):
                zero += 1  # 1: compare --diff found differences, cascade run differs from its golden
            elif p.returncode != 2:
                why = 'exit %d: %s' % (p.returncode, err[:300])
            elif lines != 1 or not err.startswith('einsim: '):
                why = 'status 2 with %d stderr lines: %r' % (lines, err[:300])
        except subprocess.TimeoutExpired:
            why = 'hung (killed after %d s)' % limit
        if os.environ.get('FUZZ_SLOW') and time.time() - t0 > float(os.environ['FUZZ_SLOW']):
            print('SLOW %.1f s: einsim %s' % (time.time() - t0, ' '.join(argv)))
        if why:
            fails += 1
            print('FAIL fuzz_%s_%03d: %s (einsim %s; FUZZ_SEED=%d)' % (kind, i, why, ' '.join(argv), seed))
if not fails:
    print('PASS fuzz (%d mutated inputs over %d kinds, seed %d: %d still valid, the rest one-line errors)'
          % (total, len(kinds), seed, zero))
PY
