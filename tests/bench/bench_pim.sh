#!/bin/sh
# PIM benchmark (figures printed, nothing asserted): wall time of one GPT3-XL
# decode token and of 1024 generated tokens on pimgpt (aim < 1 s and < 60 s;
# a Ramulator-class simulator needs 5-10 s per token, pim.md §4), the
# simulated DRAM channel-cycles per second beside DRAMsim3/Ramulator's
# 0.7-1.6 M channel-cycles/s, and the same without fast-forward.
EINSIM=${EINSIM:-build/bin/einsim}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) (wall times grow with it on a shared machine)"
# CPU seconds of the child (the shell's `times`, second line: children's
# user and system time), so a loaded machine does not hide the figure
cpu_of() { awk '{ split($1, u, "m"); split($2, s, "m"); printf "%.2f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'; }
for g in 1 1024; do
    t0=$(now)
    cpu=$( ( "$EINSIM" run --arch pimgpt --model gpt3-xl --phase decode --prompt 128 --gen $g --json "$T/g$g.json" >/dev/null || echo "run failed: gen $g" >&2; times ) | tail -1 | cpu_of)
    t1=$(now)
    jq -r --arg w "$(awk "BEGIN{printf \"%.3f\", $t1 - $t0}")" --arg c "$cpu" '"pimgpt gpt3-xl prompt 128, \(.decode.tokens) tokens: \($w) s wall (process; \($c) s CPU), simulation \(.simulation.wall_s) s; \(.decode.s_per_token * 1e3) ms simulated per token; \(.run.simulated_commands) commands simulated, \(.run.fast_forwarded_commands) fast-forwarded; \(.cycles * 8 / .simulation.wall_s / 1e6 | floor) M channel-cycles/s (8 lock-step channels)"' "$T/g$g.json"
done
"$EINSIM" run --arch pimgpt --model gpt3-xl --phase decode --prompt 128 --gen 1 --full --json "$T/full.json" >/dev/null
jq -r '"without fast-forward (one token): \(.simulation.wall_s) s, \(.run.simulated_commands / .simulation.wall_s / 1e6 * 100 | floor / 100) M commands/s on the representative channel, \(.cycles * 8 / .simulation.wall_s / 1e6 | floor) M channel-cycles/s"' "$T/full.json"
