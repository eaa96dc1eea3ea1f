#!/bin/bash
# tests/fleet/slurm-test.sh [CONTEND_BIN] - scripts/fleet/slurm.sbatch on a
# real Slurm: bring up a one-node cluster from Debian's munge, slurmctld
# and slurmd (a key, a slurm.conf and their state in a temporary folder,
# on free ports), submit a 2-task array of the quick preset restricted to
# the sync family, wait for the merge job, check the merged dataset and
# its charts, and stop every daemon (and job process) it started, however
# it ends.  `make test` runs it (test-fleet).
#
# Skipped, with the reason and exit 0, when not root (the daemons need
# it) or the packages are missing (scripts/install-deps --tests installs
# them).  On a failure it prints the daemons' logs and the jobs' output.
# Every wait has a deadline: a cluster that does not come up fails, it
# does not hang.
set -u

here=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(readlink -f "${1:-${CONTEND_BIN:-$here/build/contend}}")
# Deadlines, in seconds: the cluster coming up, and the whole job (two
# sync sweeps of about 10 s each, one after the other on an exclusive
# node, on a machine that may be loaded).
UP_S=90
JOBS_S=420

say() { echo "slurm-test: $*"; }

if [ "$(id -u)" -ne 0 ]; then
	say "skipped: not root (munged, slurmctld and slurmd run as root here)"
	exit 0
fi
for c in munged munge slurmctld slurmd sbatch squeue scontrol sinfo scancel; do
	if ! command -v "$c" >/dev/null 2>&1; then
		say "skipped: no $c (the munge, slurmctld and slurmd packages; scripts/install-deps --tests installs them)"
		exit 0
	fi
done
if [ ! -x "$bin" ]; then
	say "no contend binary at $bin (make first)"
	exit 2
fi

tmp=$(mktemp -d /tmp/contend-slurm.XXXXXX)
chmod 711 "$tmp"
export SLURM_CONF="$tmp/slurm.conf"
pids=()
jobs_submitted=""
status=1

logs() {
	local f
	# The controller's own logs last, nearest the reason.
	for f in $(ls "$tmp"/logs/* 2>/dev/null | grep -v slurmctld) "$tmp"/logs/slurmctld* \
		"$tmp"/fleet/logs/*; do
		[ -f "$f" ] || continue
		echo "----- ${f#"$tmp"/} (last 60 lines)"
		tail -n 60 "$f"
	done
}

# The reason is said before the logs and again after them: CI shows
# only the tail of what a failure printed.
fail() {
	say "FAILED: $*"
	logs
	say "FAILED: $*"
	exit 1
}

# Every process this test started: the daemons by the pids we kept, and
# whatever Slurm started for our jobs (slurmstepd, the job scripts,
# contend), found by the SLURM_CONF in its environment, which names our
# temporary folder alone.
ours() {
	local e p
	for e in /proc/[0-9]*/environ; do
		p=${e#/proc/}
		p=${p%/environ}
		[ "$p" = "$$" ] && continue
		if { tr '\0' '\n' <"$e"; } 2>/dev/null | grep -qxF "SLURM_CONF=$SLURM_CONF"; then
			echo "$p"
		fi
	done
}

cleanup() {
	local p left
	trap - EXIT INT TERM HUP
	if [ -n "$jobs_submitted" ]; then
		# shellcheck disable=SC2086
		timeout 10 scancel $jobs_submitted >/dev/null 2>&1
	fi
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for _ in $(seq 50); do
		left=""
		for p in "${pids[@]}"; do
			kill -0 "$p" 2>/dev/null && left="$left $p"
		done
		[ -z "$left" ] && break
		sleep 0.2
	done
	for p in $left $(ours); do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	left=$(ours)
	if [ -n "$left" ]; then
		say "FAILED: processes left behind: $left"
		status=1
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'say "stopped by a signal"; status=1; exit 1' INT TERM HUP

# A port nobody listens on (another cluster, another run of this test),
# below the kernel's ephemeral range: a port in it can be taken between
# the choice and slurmd's bind by any outgoing connection (seen: slurmd
# "Unable to bind listen port (33372): Address already in use" right
# after the ptc tests' thousands of loopback connections).
eph_lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "${eph_lo:-0}" -gt 11000 ] 2>/dev/null || eph_lo=32768
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((10000 + RANDOM % (eph_lo - 10000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo 0
}

mkdir -p "$tmp/munge" "$tmp/ctld" "$tmp/spool" "$tmp/logs"
chmod 711 "$tmp/munge"
head -c 1024 /dev/urandom >"$tmp/munge/munge.key"
chmod 400 "$tmp/munge/munge.key"
host=$(hostname -s 2>/dev/null || hostname)
ctld_port=$(free_port)
d_port=$(free_port)
while [ "$d_port" = "$ctld_port" ]; do d_port=$(free_port); done
cat >"$SLURM_CONF" <<CONF
ClusterName=contendtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/socket
CredType=cred/munge
StateSaveLocation=$tmp/ctld
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/logs/slurmctld.log
SlurmdLogFile=$tmp/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/linear
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
# The controller pings its nodes every SlurmdTimeout/3 s: a node that
# missed its first registration is found within 10 s, not 100.
SlurmdTimeout=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
say "one-node Slurm in $tmp (node $host, ports $ctld_port and $d_port)"

munged -F --force --socket="$tmp/munge/socket" --key-file="$tmp/munge/munge.key" \
	--pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/seed" \
	>"$tmp/logs/munged.log" 2>&1 &
pids+=($!)
for _ in $(seq $((UP_S * 5))); do
	[ -S "$tmp/munge/socket" ] && break
	sleep 0.2
done
munge --socket="$tmp/munge/socket" -n 2>>"$tmp/logs/munged.log" |
	unmunge --socket="$tmp/munge/socket" >/dev/null 2>>"$tmp/logs/munged.log" ||
	fail "munged does not answer on $tmp/munge/socket"

# The controller first, answering, then the node: a slurmd that starts
# before slurmctld listens fails its registration ("Unable to contact
# slurm controller") and waits for the controller's next ping (seen in
# CI on 2026-12-06).
slurmctld -D -f "$SLURM_CONF" >"$tmp/logs/slurmctld.out" 2>&1 &
pids+=($!)
ctld=""
for _ in $(seq $((UP_S * 2))); do
	if timeout 10 scontrol ping 2>/dev/null | grep -q "is UP"; then
		ctld=1
		break
	fi
	kill -0 "${pids[-1]}" 2>/dev/null || fail "slurmctld (pid ${pids[-1]}) exited while it came up"
	sleep 0.5
done
[ -n "$ctld" ] || fail "slurmctld did not answer 'scontrol ping' within ${UP_S} s"
slurmd -D -N "$host" -f "$SLURM_CONF" >"$tmp/logs/slurmd.out" 2>&1 &
pids+=($!)
up=""
for _ in $(seq $((UP_S * 2))); do
	state=$(timeout 10 sinfo -h -n "$host" -o %t 2>/dev/null)
	if [ "$state" = "idle" ]; then
		up=1
		break
	fi
	for p in "${pids[@]}"; do
		kill -0 "$p" 2>/dev/null || fail "a daemon (pid $p) exited while the cluster came up"
	done
	sleep 0.5
done
[ -n "$up" ] || fail "node $host not idle within ${UP_S} s (last state: '${state:-none}')"
say "cluster up: node $host idle"

# The quick preset, restricted to one small family.
printf "'sync.*' --quick --timeout 20\n" >"$tmp/plan.txt"
out=$(CONTEND_FLEET_DIR="$tmp/fleet" CONTEND_BIN="$bin" CONTEND_SWEEP="--preset $tmp/plan.txt" \
	"$here/scripts/fleet/slurm.sbatch" --array=0-1 2>"$tmp/logs/submit.err") ||
	fail "submission failed: $(cat "$tmp/logs/submit.err")"
read -r array_id merge_id fleet <<<"$out"
jobs_submitted="$array_id $merge_id"
say "submitted: array $array_id (2 tasks), merge job $merge_id"

job_state() {
	timeout 10 scontrol show job "$1" 2>/dev/null |
		sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1
}
job_exit() {
	timeout 10 scontrol show job "$1" 2>/dev/null |
		sed -n 's/.*[^a-zA-Z]ExitCode=\([0-9]*\):\([0-9]*\).*/\1 \2/p' | head -n 1
}

deadline=$((SECONDS + JOBS_S))
state=""
while [ $SECONDS -lt $deadline ]; do
	state=$(job_state "$merge_id")
	case $state in
	COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
		break ;;
	esac
	sleep 1
done
say "merge job $merge_id: ${state:-unknown} after $((SECONDS - deadline + JOBS_S)) s"
[ "$state" = "COMPLETED" ] || fail "the merge job did not complete in ${JOBS_S} s (state ${state:-unknown})"
for t in 0 1; do
	st=$(job_state "${array_id}_$t")
	read -r code sig <<<"$(job_exit "${array_id}_$t")"
	say "array task $t: $st, exit ${code:-?}"
	# 1: some configuration failed (the sweep wrote the rest): a
	# measurement's outcome, not the recipe's.
	if [ "${sig:-1}" != 0 ] || { [ "$code" != 0 ] && [ "$code" != 1 ]; }; then
		fail "array task $t ended $st with exit ${code:-?}:${sig:-?}"
	fi
done

# The merged dataset: every run's every row once, under its label (both
# tasks ran on this one node: host:1 and host:2), and the family's
# charts.
python3 - "$fleet" "$host" <<'PY' || fail "the merged dataset is not what the runs hold"
import csv, glob, os, sys

fleet, host = sys.argv[1], sys.argv[2]
runs = sorted(glob.glob(os.path.join(fleet, "runs", "*")))
assert len(runs) == 2, "runs: %r" % runs
merged = os.path.join(fleet, "merged")
for name in ("results.csv", "samples.csv", "histograms.csv"):
    with open(os.path.join(merged, name), newline="") as f:
        m = list(csv.reader(f))
    assert m[0][:2] == ["run_id", "host"], "%s header %r" % (name, m[0][:3])
    want = []
    for i, run in enumerate(runs):
        with open(os.path.join(run, name), newline="") as f:
            rows = list(csv.reader(f))
        assert len(rows) > 1, "%s/%s is empty" % (run, name)
        assert m[0] == rows[0][:1] + ["host"] + rows[0][1:], name
        want += [r[:1] + ["%s:%d" % (host, i + 1)] + r[1:] for r in rows[1:]]
    assert m[1:] == want, "%s: %d rows, expected %d" % (name, len(m) - 1, len(want))
    print("slurm-test: %s: %d rows, hosts %s" % (name, len(m) - 1,
          ", ".join(sorted({r[1] for r in m[1:]}))))
for chart in ("sync.png", "sync.svg"):
    p = os.path.join(merged, chart)
    assert os.path.getsize(p) > 1000, p
with open(os.path.join(merged, "sync.png"), "rb") as f:
    assert f.read(8) == b"\x89PNG\r\n\x1a\n", "sync.png is not a PNG"
report = os.path.join(merged, "index.html")
if os.path.exists(report):
    text = open(report, encoding="utf-8").read()
    for i in (1, 2):
        assert "%s:%d" % (host, i) in text, "index.html does not name %s:%d" % (host, i)
    print("slurm-test: index.html names both hosts")
print("slurm-test: charts: " + " ".join(sorted(os.path.basename(p) for p in
      glob.glob(os.path.join(merged, "*.png")))))
PY
say "ok: a 2-task array swept, merged and plotted on a one-node Slurm"
status=0
