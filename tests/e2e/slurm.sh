# einsim sweep --slurm through a one-node Slurm cluster on localhost (munge,
# slurmctld, slurmd from Debian's slurm-wlm), started here and stopped at
# the end by their pids.  Where the daemons cannot start, one SKIP line
# says why (neither a pass nor a failure).
. "$(dirname "$0")/lib.sh"
E=$EINSIM
D=$TMPD
S=$D/slurm
skip() { echo "SKIP slurm: $1"; exit 0; }
for p in munged slurmctld slurmd sbatch squeue; do
    command -v $p >/dev/null 2>&1 || skip "$p not installed (Debian: apt-get install slurm-wlm munge)"
done
[ "$(id -u)" = 0 ] || skip "the test cluster runs its daemons as root; this is uid $(id -u)"
mkdir -p "$S/spool" "$S/state" "$S/munge"
HOST=$(hostname -s)
MUNGE_PID=""
cleanup() {
    for f in "$S/slurmd.pid" "$S/slurmctld.pid"; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
    [ -n "$MUNGE_PID" ] && kill "$MUNGE_PID" 2>/dev/null
    sleep 0.2
    rm -rf "$TMPD"
}
trap cleanup EXIT
# munged on its own socket, key and pid file, so a munged already running
# on the machine is left alone
chown munge:munge "$S/munge" 2>/dev/null
if [ ! -r /etc/munge/munge.key ]; then skip "no munge key /etc/munge/munge.key"; fi
munged --force --socket="$S/munge/munge.socket" --pid-file="$S/munge/munged.pid" \
    --log-file="$S/munge/munged.log" --seed-file="$S/munge/munged.seed" 2>"$S/munged.err" ||
    skip "munged did not start: $(head -c 200 "$S/munged.err" | tr '\n' ' ')"
for _ in $(seq 50); do [ -s "$S/munge/munged.pid" ] && break; sleep 0.1; done
MUNGE_PID=$(cat "$S/munge/munged.pid" 2>/dev/null)
PORT=$((17000 + $$ % 2000))
cat >"$S/slurm.conf" <<CONF
ClusterName=einsimtest
SlurmctldHost=$HOST
AuthType=auth/munge
AuthInfo=socket=$S/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmdSpoolDir=$S/spool
StateSaveLocation=$S/state
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=$HOST CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$S/slurm.conf
slurmctld -f "$SLURM_CONF" 2>"$S/ctld.err" || skip "slurmctld did not start: $(head -c 200 "$S/ctld.err" | tr '\n' ' ')"
slurmd -f "$SLURM_CONF" 2>"$S/d.err" || skip "slurmd did not start: $(head -c 200 "$S/d.err" | tr '\n' ' ')"
idle=""
for _ in $(seq 100); do
    sinfo -h -o %t 2>/dev/null | grep -q idle && { idle=1; break; }
    sleep 0.1
done
[ -n "$idle" ] || skip "the node did not become idle in 10 s: $(tail -1 "$S/slurmctld.log" 2>/dev/null)"

cat >"$D/s.yaml" <<'YAML'
name: slurm-small
run: {arch: fusemax, model: bert-base, batch: 4}
grid:
  seq: [1024, 4096]
  set.units.array2d.rows: [64, 128, 256]
YAML
export EINSIM_REPRODUCIBLE=1
$E sweep "$D/s.yaml" --out "$D/local" -j 2 >/dev/null 2>&1
$E sweep "$D/s.yaml" --out "$D/sl" --slurm --chunks 3 >"$S/submit.out" 2>&1 || { fail slurm_submit "$(head -c 300 "$S/submit.out")"; exit 0; }
pass slurm_submit
for _ in $(seq 300); do
    [ -z "$(squeue -h 2>/dev/null)" ] && break
    sleep 0.1
done
if $E sweep --collect "$D/sl" >/dev/null 2>&1 && diff -r "$D/local/points" "$D/sl/points" >/dev/null &&
   cmp -s "$D/local/results.csv" "$D/sl/results.csv"; then pass slurm_job_array_collect
else fail slurm_job_array_collect "$(ls "$D/sl/points" 2>/dev/null | wc -l) points; $(cat "$D"/sl/slurm-*.out 2>/dev/null | head -c 300)"; fi
