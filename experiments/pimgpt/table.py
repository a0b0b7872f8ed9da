"""table.md for experiments/pimgpt: einsim's PIM-GPT decode figures beside
the measured H100 (gpu-h100.json).  Every number comes from the reports in
OUT or from the GPU file; nothing is typed in."""
import json
import sys

out, gpu_file = sys.argv[1], sys.argv[2]
gpu = json.load(open(gpu_file))
eager = {r["model"]: r["s_per_token"] for r in gpu["decode"]["rows"] if r["prompt"] == 128}
graph = {r["model"]: r["s_per_token"] for r in gpu["decode_cuda_graph"]["rows"]}
models = ["gpt2-small", "gpt2-medium", "gpt2-large", "gpt2-xl",
          "gpt3-small", "gpt3-medium", "gpt3-large", "gpt3-xl"]


def rep(m, kind):
    return json.load(open(f"{out}/{m}-{kind}.json"))


def ms(s):
    return f"{s * 1e3:.3f}"


print("| model | PIM ms/token (p128) | mJ/token | ÷ bound | row hits | PIM ms/token (ctx 1024) | mJ/token | ÷ bound"
      " | row hits | H100 eager ms | × eager | H100 CUDA graph ms | × graph |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
sp_e, sp_g = [], []
for m in models:
    a, c = rep(m, "p128"), rep(m, "c1024")
    s = a["decode"]["s_per_token"]
    row = [m, ms(s), f"{a['decode']['energy_pj_per_token'] * 1e-9:.2f}", f"{a['run']['bound_ratio']:.2f}",
           f"{100 * a['dram']['row_hit_rate']:.2f}%", ms(c["decode"]["s_per_token"]),
           f"{c['decode']['energy_pj_per_token'] * 1e-9:.2f}", f"{c['run']['bound_ratio']:.2f}",
           f"{100 * c['dram']['row_hit_rate']:.2f}%"]
    if m in eager:
        row += [ms(eager[m]), f"{eager[m] / s:.1f}"]
        sp_e.append(eager[m] / s)
    else:
        row += ["not measured", "–"]
    row += [ms(graph[m]), f"{graph[m] / s:.2f}"]
    sp_g.append(graph[m] / s)
    print("| " + " | ".join(row) + " |")
print()
print(f"Speed-up of the simulated PIM-GPT (128-token prompt) over the H100: "
      f"{min(sp_e):.1f}–{max(sp_e):.1f}× against eager PyTorch ({len(sp_e)} models measured), "
      f"{min(sp_g):.2f}–{max(sp_g):.2f}× against the CUDA-graph decode (8 models).  "
      f"PIM-GPT reports 41–137× over a T4.")
print()
print(f"GPU: {gpu['device']}, {gpu['date']}, {gpu['software']}; eager = `decode.rows` (minimum of 3 "
      f"repetitions), CUDA graph = `decode_cuda_graph.rows` (experiments/pimgpt/gpu-h100.json).  "
      f"÷ bound: simulated latency over weight bytes ÷ in-bank MAC bandwidth (128 banks × 32 B per 1 ns).")
