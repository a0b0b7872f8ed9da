#!/usr/bin/env python3
"""What the artifact's published FuseMax energies leave for register files
and the global buffer (independent of einsim's simulator).

For each point of reference.csv: published energy - compute - DRAM, where
compute = point-ops x the artifact's per-Einsum costs (proposal.py
compute_cost) x the Accelergy figures (sim/energy/fusemax-45nm.yaml) and
DRAM = (Q + AV + (K+V) P2) x 2 B / 8 x 249.6 pJ (fusemax.md §6, §2.3).
Printed per score point (one (p, m) pair of one head) and as a share of the
published total, beside the 2D array's compute share (the paper: >= 95%).  usage: python3 published_residual.py [reference.csv]"""
import csv
import sys

MAC, ADD, MAX, DIV, DRAM = 17.1645, 8.3395, 0.028036, 36.251153, 249.6
MODELS = {"bert-base": (12, 64), "trxl-wt103": (16, 64), "t5-small": (8, 64), "xlm": (16, 128)}  # H, E = F
B, TILE, BUF = 64, 256, 16 * 2**20


def p1_of(P, E):  # the artifact's P1 rule (proposal.py)
    cap = (BUF - TILE * E * 2 * 2) // ((2 * E + 2) * 2 * TILE)
    cap = min(cap, P // TILE)
    return max(f for f in range(1, P // TILE + 1) if (P // TILE) % f == 0 and f <= cap)


ref = sys.argv[1] if len(sys.argv) > 1 else "experiments/fusemax-sim/reference.csv"
rows = [r for r in csv.reader(open(ref)) if r and not r[0].startswith("#") and r[0] != "model"]
print("| model | seq | residual pJ per score point | residual / published | 2D-array compute / published |")
print("|---|---|---|---|---|")
for r in rows:
    model, P = r[0], int(r[1])
    H, E = MODELS[model]
    F, M = E, P
    pts = B * H * P * M
    per_tile_rows = B * H * P * (M // TILE)  # 1D Einsums: one value per query per m1
    e2d = pts * (E * MAC + MAX + 6 * MAC + ADD + ADD + F * MAC)  # QK LM SLN SLD SLNV
    e1d = per_tile_rows * (MAX + 6 * MAC + ADD + MAC + ADD) + per_tile_rows * F * (MAC + ADD) + B * H * P * F * DIV
    P2 = (P // TILE) // p1_of(P, E)
    dram = 2 * (B * H * P * (E + F) + B * H * M * (E + F) * P2) / 8 * DRAM
    pub = float(r[3])
    res = pub - e2d - e1d - dram
    print("| %s | %d | %.1f | %.2f%% | %.1f%% |" % (model, P, res / pts, 100 * res / pub, 100 * e2d / pub))
