#!/usr/bin/env bash
# Regenerates resources/screenshots/jobs.png: the Jobs page supervising a few Local rehearsal jobs
# (one preempted and resumed, one stopped, the others running), on Qt's offscreen platform.
# Everything lives in a throwaway folder; every Local instance is terminated at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SPOTWISE_BUILD:-build/dev}
tmp=$(mktemp -d)
export XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" SPOTWISE_LEDGER="$tmp/ledger.sqlite" \
  SPOTWISE_LOCAL_ROOT="$tmp/local"
cli="$build/app/spotwise-cli"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$cli" reconcile --terminate-orphans >/dev/null 2>&1 || true
  for id in $("$cli" jobs --json 2>/dev/null | python3 -c 'import json,sys; print(" ".join(j["id"] for j in json.load(sys.stdin)["jobs"]))'); do
    "$cli" stop "$id" --poll 0.5 >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/local/bucket"
job() {  # name steps step-seconds price budget
  cat > "$tmp/$1.json" <<JSON
{"format": "spotwise-job/1", "name": "$1",
 "offer": {"provider": "local", "region": "local", "zone": "", "instanceType": "sim-t4", "spot": true,
           "pricePerHour": $4, "onDemandPricePerHour": 0.53, "gpuModel": "T4", "gpuCount": 1},
 "codeDir": "$PWD/resources/examples",
 "command": "python3 train.py --steps $2 --step-seconds $3 --checkpoint-every 50",
 "storage": "local://$tmp/local/bucket", "graceSeconds": 3, "checkpointSyncSeconds": 5, "budgetUsd": $5}
JSON
  "$cli" launch "$tmp/$1.json" --detach
}
sweep=$(job lr-sweep-3 3000 0.05 0.16 0.5)
job llama-lora 700 0.05 0.35 1.5 >/dev/null
job resnet50-cifar 4000 0.05 0.16 1 >/dev/null
bert=$(job bert-finetune 6000 0.05 0.24 2)  # the newest: selected in the shot
"$cli" supervise --poll 0.5 --heartbeat 1 --notice-seconds 5 >"$tmp/supervise.log" 2>&1 &
pids+=($!)
sleep 25
"$cli" preempt "$bert" >/dev/null
"$cli" stop "$sweep" --no-wait >/dev/null
sleep 30
kill "${pids[@]}"; pids=()
QT_QPA_PLATFORM=offscreen "$build/app/spotwise" --page jobs --screenshot resources/screenshots/jobs.png
