# Builds table.md from reference.csv (first file) and out/results.csv.
# Averages are arithmetic means over the 24 points of per-point ratios, as
# the paper computes its headlines (fusemax.md §1).
FNR == 1 { file++ }
file == 1 && /^#/ { next }
file == 1 && $1 != "model" { k = $1 "," $2; rf[k] = $3; rfe[k] = $4; ra[k] = $5; rue[k] = $8; ru[k] = $7; rl[k] = $9; next }
file == 2 && $1 != "scope" {
  k = $3 "," $4; L[$1, $2, k] = $6; E[$1, $2, k] = $7; U2[$1, $2, k] = $8; U1[$1, $2, k] = $9
  D[$1, $2, k] = $10 + $11; W += $12; SIM += $13; FF += $14; runs++
  if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
}
END {
  split("unfused flat fusemax-cascade fusemax-arch fusemax", A, " ")
  printf "# FuseMax reproduction with the cycle-level simulator (einsim run, batch 64)\n\n"
  printf "%d runs in %.1f s (wall, including process start-up); simulated %.3g cycles, fast-forwarded %.3g cycles.\n\n", runs, t1 - t0, SIM, FF
  for (sc = 1; sc <= 2; sc++) {
    s = sc == 1 ? "attention" : "layer"
    printf "## scope %s: latency (s)\n\n| model | seq |", s
    for (i = 1; i <= 5; i++) printf " %s |", A[i]
    printf " speedup vs flat | speedup vs unfused | energy vs flat | energy vs unfused | 2D util | 1D util |\n|---|---|"
    for (i = 1; i <= 11; i++) printf "---|"
    printf "\n"
    sf = su = ef = eu = 0
    for (n = 1; n <= nk; n++) {
      k = keys[n]; split(k, kk, ",")
      printf "| %s | %s |", kk[1], kk[2]
      for (i = 1; i <= 5; i++) printf " %.4g |", L[s, A[i], k]
      x = L[s, "flat", k] / L[s, "fusemax", k]; y = L[s, "unfused", k] / L[s, "fusemax", k]
      e1 = E[s, "fusemax", k] / E[s, "flat", k]; e2 = E[s, "fusemax", k] / E[s, "unfused", k]
      sf += x; su += y; ef += e1; eu += e2
      printf " %.2fx | %.2fx | %.1f%% | %.1f%% | %.1f%% | %.1f%% |\n", x, y, 100 * e1, 100 * e2, 100 * U2[s, "fusemax", k], 100 * U1[s, "fusemax", k]
    }
    avg[s, 1] = sf / nk; avg[s, 2] = su / nk; avg[s, 3] = ef / nk; avg[s, 4] = eu / nk
    printf "\n"
  }
  printf "## Averages over the %d points vs the paper's headlines\n\n", nk
  printf "| figure | simulated | paper | off by |\n|---|---|---|---|\n"
  row("attention speedup vs FLAT", avg["attention", 1], 6.7, "x")
  row("attention energy vs FLAT", 100 * avg["attention", 3], 79, "%")
  row("attention speedup vs unfused", avg["attention", 2], 10, "x")
  row("attention energy vs unfused", 100 * avg["attention", 4], 77, "%")
  row("end-to-end speedup vs FLAT", avg["layer", 1], 5.3, "x")
  row("end-to-end energy vs FLAT", 100 * avg["layer", 3], 83, "%")
  row("end-to-end speedup vs unfused", avg["layer", 2], 7.6, "x")
  printf "\n## Per-point attention latency vs the artifact's published CSVs (simulated / published)\n\n"
  printf "| model | seq | fusemax | fusemax-arch | unfused | linear layers (layer - attention, fusemax) | fusemax energy | unfused energy |\n|---|---|---|---|---|---|---|---|\n"
  for (n = 1; n <= nk; n++) {
    k = keys[n]; split(k, kk, ",")
    if (!(k in rf)) continue
    a1 = L["attention", "fusemax", k] / rf[k]; a2 = L["attention", "fusemax-arch", k] / ra[k]
    a3 = L["attention", "unfused", k] / ru[k]; a4 = (L["layer", "fusemax", k] - L["attention", "fusemax", k]) / rl[k]
    a5 = E["attention", "fusemax", k] / rfe[k]; a6 = E["attention", "unfused", k] / rue[k]
    m1 += a1; m2 += a2; m3 += a3; m4 += a4; m5 += a5; m6 += a6; nm++
    w1 = dev(a1, w1); w2 = dev(a2, w2); w3 = dev(a3, w3); w4 = dev(a4, w4); w5 = dev(a5, w5); w6 = dev(a6, w6)
    printf "| %s | %s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n", kk[1], kk[2], a1, a2, a3, a4, a5, a6
  }
  printf "| mean | | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n", m1 / nm, m2 / nm, m3 / nm, m4 / nm, m5 / nm, m6 / nm
  printf "| worst deviation | | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% |\n", 100 * w1, 100 * w2, 100 * w3, 100 * w4, 100 * w5, 100 * w6
}
function row(name, v, p, u) {
  if (u == "x") printf "| %s | %.2fx | %.1fx | %+.1f%% |\n", name, v, p, 100 * (v / p - 1)
  else printf "| %s | %.1f%% | %d%% | %+.1f points |\n", name, v, p, v - p
}
function dev(a, w) { d = a > 1 ? a - 1 : 1 - a; return d > w ? d : w }
