#!/bin/sh
# FLAT per point: the simulator (out/results.csv from run.sh) against the
# artifact's published FLAT baseline (flat-reference.csv) and the published
# FuseMax (reference.csv).  Energy with the artifact's register-file
# convention (table.awk's EA: the register files of one PE).
# usage: sh experiments/fusemax-sim/flat_vs_artifact.sh   (after run.sh)
HERE=$(dirname "$0")
awk -F, '
FNR == 1 { f++ }
/^#/ || $1 == "model" || $1 == "scope" { next }
f == 1 { k = $1 "," $2; pl[k] = $3; pe[k] = $4; pt[k] = $5; next }
f == 2 { k = $1 "," $2; fl[k] = $3; fe[k] = $4; next }
f == 3 && $1 == "attention" && ($2 == "flat" || $2 == "fusemax") {
  k = $3 "," $4; L[$2, k] = $6; T[$2, k] = $10 + $11
  E[$2, k] = $7 - $15 * (1 - 1 / 65536) - $16 * (1 - 1 / 256)
  if ($2 == "flat") order[++n] = k
}
END {
  print "| model | seq | FLAT latency sim/pub | FLAT energy sim/pub | FLAT DRAM sim/pub | speedup sim | speedup pub | energy vs FLAT sim | energy vs FLAT pub |"
  print "|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= n; i++) {
    k = order[i]; split(k, p, ",")
    s1 = L["flat", k] / L["fusemax", k]; s2 = pl[k] / fl[k]
    e1 = E["fusemax", k] / E["flat", k]; e2 = fe[k] / pe[k]
    printf "| %s | %s | %.4f | %.4f | %.4f | %.2fx | %.2fx | %.3f | %.3f |\n", p[1], p[2], L["flat", k] / pl[k], E["flat", k] / pe[k], T["flat", k] / pt[k], s1, s2, e1, e2
    as1 += s1; as2 += s2; ae1 += e1; ae2 += e2
  }
  printf "| mean | | | | | %.2fx | %.2fx | %.3f | %.3f |\n", as1 / n, as2 / n, ae1 / n, ae2 / n
}' "$HERE/flat-reference.csv" "$HERE/reference.csv" "$HERE/out/results.csv"
