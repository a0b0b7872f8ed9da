"""table.md: the H100 measurements (gpu-h100.json) beside einsim's FuseMax
and PIM-GPT results for the same workloads (out/attention, out/decode,
out/pimgpt from run.sh)."""
import csv, json, os, sys

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, 'out')
gpu = json.load(open(os.path.join(here, 'gpu-h100.json')))


def rows(sweep):
    return list(csv.DictReader(open(os.path.join(out, sweep, 'results.csv'))))


print('# H100 measurements beside einsim (FuseMax, PIM-GPT)\n')
print('GPU: %s, %s; %s.  einsim: the bundled `fusemax` arch (2D array 256x256, '
      '16 MiB buffer, off-chip 400 GiB/s = 429 GB/s), simulated; '
      'for decode also the bundled `pimgpt` arch (GDDR6 PIM, 128 banks with a MAC unit each, plus an ASIC), simulated.\n' % (gpu['device'], gpu['date'], gpu['software']))
print('## Attention, batch 64 (GPU: %s)\n' % gpu['attention']['method'].split(',')[0])
print('| model | seq | H100 fused attention (ms) | FuseMax simulated (ms) | FuseMax / H100 |')
print('|---|---|---|---|---|')
sim = {(r['model'], r['seq']): float(r['latency_s']) for r in rows('attention')}
for g in gpu['attention']['rows']:
    s = sim.get((g['model'], str(g['seq'])))
    if s is None:
        continue
    print('| %s | %d | %.4g | %.4g | %.2fx |' % (g['model'], g['seq'], 1e3 * g['s'], 1e3 * s, s / g['s']))
print('\n## Decode, batch 1, 128-token prompt: seconds per generated token\n')
print('| model | H100 Hugging Face eager (ms) | H100 CUDA graph (ms) | H100 weight-streaming floor (ms) '
      '| FuseMax simulated (ms) | what bounds FuseMax | PIM-GPT simulated (ms) | fastest |')
print('|---|---|---|---|---|---|---|---|')
eager = {r['model']: r for r in gpu['decode']['rows']}
graph = {r['model']: r for r in gpu['decode_cuda_graph']['rows']}
for r in rows('decode'):
    m = r['model']
    gen = 32
    per = float(r['latency_s']) / gen
    e, g = eager.get(m), graph.get(m)
    pim = json.load(open(os.path.join(out, 'pimgpt', m + '-p128.json')))['decode']['s_per_token']
    timed = {'H100 CUDA graph': g['s_per_token'] if g else None, 'FuseMax': per, 'PIM-GPT': pim}
    fastest = min((v, k) for k, v in timed.items() if v is not None)[1]
    bound = 'memory' if float(r.get('units.dram.utilization', 0)) > 0.9 else 'compute'
    print('| %s | %s | %s | %s | %.4g | %s (DRAM busy %.0f%%) | %.4g | %s |' % (
        m, '%.4g' % (1e3 * e['s_per_token']) if e else '-', '%.4g' % (1e3 * g['s_per_token']) if g else '-',
        '%.4g' % (1e3 * g['weights_floor_s']) if g else '-', 1e3 * per, bound,
        100 * float(r.get('units.dram.utilization', 0)), 1e3 * pim, fastest))
print('\nThe H100 eager figures are what a user running the Hugging Face model gets (framework-bound, '
      'see the file\'s note); the CUDA-graph ones what the GPU does without framework overhead.  '
      'The FuseMax arch streams weights at 429 GB/s, the H100 at 3.35 TB/s peak (3.12 TB/s measured).  '
      'PIM-GPT (`einsim run --arch pimgpt --phase decode --prompt 128 --gen 32`, '
      'experiments/pimgpt/decode.sh) multiplies in the DRAM banks, so weights never cross a bus; '
      'it runs decode only, so it has no attention row.  fastest: the least time per token among '
      'the H100 CUDA graph, FuseMax and PIM-GPT.')
