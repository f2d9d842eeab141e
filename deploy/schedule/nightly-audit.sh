#!/usr/bin/env bash
# Nightly ConvLens audit: analyze -> model-viz -> audit [-> audit diff] -> report, all into <AUDIT_ROOT>/<YYYY-MM-DD>/,
# through one of the submit scripts. Called by convlens-audit.cron; runnable by hand too:
#   CLUSTER=yarn AUDIT_ROOT=hdfs:///audits/resnet18 deploy/schedule/nightly-audit.sh
#   RUN_DATE=2026-11-20 deploy/schedule/nightly-audit.sh     # redo (or finish) an earlier night
#
# analyze runs with output.mode=resume: running the script again for the same RUN_DATE analyses
# only images not yet in <out>/analysis (a run that died keeps no rows of its own, so its images
# are analysed again, never twice); model-viz, the audit and the report are rebuilt. A second run while one is
# going is refused (lock file).
set -euo pipefail

# ---- change these ------------------------------------------------------------------------------
# Which submit script: yarn | standalone | kubernetes (deploy/<CLUSTER>/submit.sh). Its own
# settings (master URL, image, MODEL_ARCHIVE, sizes...) are read from the environment as usual.
CLUSTER="${CLUSTER:-yarn}"
# The datasets, whitespace-separated; each becomes one --input.
DATASETS="${DATASETS:-hdfs:///datasets/imagenet/val}"
# The model path as the driver and executors see it (on YARN with MODEL_ARCHIVE='...#model',
# a path inside the unpacked archive).
MODEL="${MODEL:-model/resnet18.pt}"
# Parent of the dated output folders (any Hadoop filesystem the cluster can write).
AUDIT_ROOT="${AUDIT_ROOT:-hdfs:///audits/resnet18}"
# The night being audited (UTC date by default).
RUN_DATE="${RUN_DATE:-$(date -u +%F)}"
# More ConvLens options for every command, whitespace-separated, e.g.
#   CONVLENS_OPTS="--set analyze.batch-size=16 --set report.scatter.max-points=20000"
CONVLENS_OPTS="${CONVLENS_OPTS:-}"
# More ConvLens options for analyze only (methods, occlusion windows...).
ANALYZE_OPTS="${ANALYZE_OPTS:-}"
# An earlier audit folder to compare tonight's with (`audit diff`), e.g.
#   DIFF_WITH=hdfs:///audits/resnet18/2026-11-19/audit ; empty = no comparison.
DIFF_WITH="${DIFF_WITH:-}"
LOCK_FILE="${LOCK_FILE:-/tmp/convlens-nightly-audit.lock}"

deploy_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
submit="$deploy_dir/$CLUSTER/submit.sh"
[ -x "$submit" ] || { echo "nightly-audit.sh: no submit script $submit (CLUSTER=yarn|standalone|kubernetes)" >&2; exit 2; }

out="$AUDIT_ROOT/$RUN_DATE"
inputs=()
for d in $DATASETS; do
  inputs+=(--input "$d")
done
common=()
analyze_extra=()
read -r -a common <<<"$CONVLENS_OPTS"
read -r -a analyze_extra <<<"$ANALYZE_OPTS"

# One audit at a time (flock from util-linux; skipped where it is missing).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$LOCK_FILE"
  flock -n 9 || { echo "nightly-audit.sh: another audit holds $LOCK_FILE" >&2; exit 1; }
fi

step() {
  echo "$(date -u +%FT%TZ) nightly-audit: $*"
}

step "start: $CLUSTER, model $MODEL, output $out"
step "analyze"
"$submit" analyze "${inputs[@]}" --model "$MODEL" --out "$out" --set output.mode=resume \
  ${common[@]+"${common[@]}"} ${analyze_extra[@]+"${analyze_extra[@]}"}
step "model-viz"
"$submit" model-viz --model "$MODEL" --out "$out" ${common[@]+"${common[@]}"}
step "audit"
"$submit" audit "${inputs[@]}" --model "$MODEL" --out "$out" ${common[@]+"${common[@]}"}
if [ -n "$DIFF_WITH" ]; then
  step "audit diff $DIFF_WITH -> $out/audit"
  "$submit" audit diff "$DIFF_WITH" "$out/audit" --out "$out" ${common[@]+"${common[@]}"}
fi
step "report"
"$submit" report --out "$out" ${common[@]+"${common[@]}"}
step "done: $out/report/index.html"
