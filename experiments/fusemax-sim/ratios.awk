# out/results.csv -> ratios.dat for plot.gp: per model a gnuplot data block
# (two blank lines apart) of seq, FuseMax speedup vs FLAT and vs unfused, and
# FuseMax energy / FLAT and / unfused (scope attention, einsim's energy).
$1 == "attention" { L[$2, $3, $4] = $6; E[$2, $3, $4] = $7; if (!(($3, $4) in s)) { s[$3, $4] = 1; seq[$3, ++n[$3]] = $4 } }
END {
  split("bert-base trxl-wt103 t5-small xlm", M, " ")
  for (i = 1; i <= 4; i++) {
    m = M[i]; printf "# %s\n# seq speedup_vs_flat speedup_vs_unfused energy_vs_flat energy_vs_unfused\n", m
    for (j = 1; j <= n[m]; j++) {
      q = seq[m, j]
      printf "%s %.6g %.6g %.6g %.6g\n", q, L["flat", m, q] / L["fusemax", m, q], L["unfused", m, q] / L["fusemax", m, q],
        E["fusemax", m, q] / E["flat", m, q], E["fusemax", m, q] / E["unfused", m, q]
    }
    printf "\n\n"
  }
}
