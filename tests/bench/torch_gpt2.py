"""PyTorch anchor for bench_model: the GPT-2 small forward (12 layers, d 768,
12 heads, vocab 50257; random N(0, 0.02) weights) written as Hugging Face's
eager GPT-2 computes it (addmm projections, explicit causal-mask attention,
softmax, tanh GELU), on one thread.  Prints one line per figure in the same
format as bench_model.  Usage: python3 torch_gpt2.py TOKENS

One thread means one thread for the BLAS too: Debian's torch calls OpenBLAS
(pthreads build), which torch.set_num_threads does not reach; left alone it
runs every sgemm on all cores (2 here), so its figure read up to ~1.8x high
whenever the other core was idle.  The variables must be set before the
library loads."""
import os
import sys
import time

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import torch  # noqa: E402
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(1)
L, D, H, V, CTX = 12, 768, 12, 50257, 1024
T = int(sys.argv[1]) if len(sys.argv) > 1 else 128


def n(*shape):
    return torch.randn(*shape) * 0.02


wte, wpe = n(V, D), n(CTX, D)
layers = [dict(ln1w=1 + n(D), ln1b=n(D), wqkv=n(D, 3 * D), bqkv=n(3 * D), wo=n(D, D), bo=n(D),
               ln2w=1 + n(D), ln2b=n(D), w1=n(D, 4 * D), b1=n(4 * D), w2=n(4 * D, D), b2=n(D))
          for _ in range(L)]
lnfw, lnfb = 1 + n(D), n(D)
mask = torch.tril(torch.ones(T, T, dtype=torch.bool))


def forward(tok, last_only):
    x = wte[tok] + wpe[:T]
    for w in layers:
        h = F.layer_norm(x, (D,), w["ln1w"], w["ln1b"], 1e-5)
        q, k, v = torch.addmm(w["bqkv"], h, w["wqkv"]).split(D, dim=-1)
        q, k, v = (t.view(T, H, D // H).transpose(0, 1) for t in (q, k, v))
        att = torch.matmul(q, k.transpose(-1, -2)) / (D // H) ** 0.5
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = torch.matmul(att, v).transpose(0, 1).reshape(T, D)
        x = x + torch.addmm(w["bo"], y, w["wo"])
        h = F.layer_norm(x, (D,), w["ln2w"], w["ln2b"], 1e-5)
        h = F.gelu(torch.addmm(w["b1"], h, w["w1"]), approximate="tanh")
        x = x + torch.addmm(w["b2"], h, w["w2"])
    x = F.layer_norm(x, (D,), lnfw, lnfb, 1e-5)
    if last_only:
        x = x[-1:]
    return x @ wte.t()


tok = torch.tensor([(i * 7919 + 13) % V for i in range(T)])
with torch.inference_mode():
    forward(tok, True)  # warm-up
    for last in (0, 1):
        best, ratio, best_cpu = 1e30, 0.0, 1e30
        for _ in range(5):
            t0, c0 = time.perf_counter(), time.process_time()
            forward(tok, last)
            w, c = time.perf_counter() - t0, time.process_time() - c0
            if w < best:
                best, ratio = w, c / w
            best_cpu = min(best_cpu, c)
        what = "logits of the last token" if last else "logits of every token"
        print(f"PyTorch {torch.__version__}, 1 thread: prefill {T} tokens ({what}): {best:.3f} s = {T / best:.1f} tokens/s"
              f"  (cpu/wall {ratio:.2f}, best of 5; by CPU time {best_cpu:.3f} s = {T / best_cpu:.1f} tokens/s)")
