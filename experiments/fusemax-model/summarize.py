"""Summarize results-SCOPE.tsv: per-point ratios and the arithmetic means over
the 24 points (fusemax.md §1: the paper averages per-point ratios)."""
import csv
import sys

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
scope = rows[0]["scope"]
f = lambda r, k: float(r[k])
print(f"scope {scope}: {len(rows)} points")
print("%-11s %8s %12s %12s %11s %11s %10s %12s" % ("model", "seq", "spd vs FLAT", "E vs FLAT",
      "spd vs unf", "E vs unf", "srch/hand", "flat srch/hand"))
agg = {k: [] for k in ("sf", "ef", "su", "eu", "sh", "fh", "sc", "sa")}
for r in rows:
    sf = f(r, "flat_lat_s") / f(r, "fusemax_lat_s")
    ef = f(r, "fusemax_energy_pj") / f(r, "flat_energy_pj")
    su = f(r, "unfused_lat_s") / f(r, "fusemax_lat_s")
    eu = f(r, "fusemax_energy_pj") / f(r, "unfused_energy_pj")
    sh = f(r, "fusemax_search_lat_s") / f(r, "fusemax_lat_s")
    fh = f(r, "flat_search_lat_s") / f(r, "flat_lat_s")
    sc = f(r, "flat_lat_s") / f(r, "fusemax-cascade_lat_s")
    sa = f(r, "flat_lat_s") / f(r, "fusemax-arch_lat_s")
    for k, v in zip(agg, (sf, ef, su, eu, sh, fh, sc, sa)):
        agg[k].append(v)
    print("%-11s %8s %11.2fx %11.3f %10.2fx %11.3f %10.4f %12.4f" % (r["model"], r["seq"], sf, ef, su, eu, sh, fh))
mean = lambda k: sum(agg[k]) / len(agg[k])
e2e = scope == "layer"
print()
print("averages (arithmetic mean of per-point ratios)   model     paper")
print("  speedup vs FLAT              %8.2fx   %s" % (mean("sf"), "5.3x" if e2e else "6.7x"))
print("  energy vs FLAT               %8.3f    %s" % (mean("ef"), "0.83" if e2e else "0.79"))
print("  speedup vs unfused           %8.2fx   %s" % (mean("su"), "7.6x" if e2e else "10x"))
print("  energy vs unfused            %8.3f    %s" % (mean("eu"), "-" if e2e else "0.77"))
print("  +Cascade speedup vs FLAT     %8.2fx   %s" % (mean("sc"), "-" if e2e else "0.907x"))
print("  +Architecture speedup vs FLAT%8.2fx   -" % mean("sa"))
print("  searched/bundled latency, fusemax: max %.4f, mean %.4f" % (max(agg["sh"]), mean("sh")))
print("  searched/bundled latency, flat:    max %.4f, mean %.4f" % (max(agg["fh"]), mean("fh")))
