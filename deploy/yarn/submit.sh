#!/usr/bin/env bash
# Submits one ConvLens job to YARN. Default: cluster deploy mode (the driver runs in the YARN
# application master container), with the model shipped as an archive that YARN unpacks into
# every container's working directory, the driver's included.
#
#   MODEL_ARCHIVE='hdfs:///models/resnet18.tgz#model' \
#   deploy/yarn/submit.sh analyze --input hdfs:///datasets/imagenet/val \
#       --model model/resnet18.pt --out hdfs:///audits/2026-11-23
#   MODEL_ARCHIVE='hdfs:///models/resnet18.tgz#model' \
#   deploy/yarn/submit.sh model-viz --model model/resnet18.pt --out hdfs:///audits/2026-11-23
#   deploy/yarn/submit.sh report --out hdfs:///audits/2026-11-23
#
# resnet18.tgz holds resnet18.pt and its sidecar resnet18.json at the top level
# (tar czf resnet18.tgz resnet18.pt resnet18.json; hdfs dfs -put resnet18.tgz /models/);
# "#model" names the folder it is unpacked to, so --model model/resnet18.pt is a relative path
# that resolves in each container. Everything after the script name goes to ConvLens unchanged.
# Shared settings are in ../common.sh; DRY_RUN=1 prints the command.
set -euo pipefail

# ---- change these for your cluster -----------------------------------------------------------
# cluster (driver in YARN) or client (driver on this machine; then --model must also exist at
# that relative or absolute path here, and the driver needs this machine's memory and cores).
# In cluster mode ConvLensCli.main returns normally after a successful run (no System.exit,
# which YARN's application master would report as FAILED, exit code 16).
DEPLOY_MODE="${DEPLOY_MODE:-cluster}"
YARN_QUEUE="${YARN_QUEUE:-default}"
# The model as an archive on HDFS (or any filesystem YARN can localise), with #folder. Empty =
# the model is already on a path every node can read (give that absolute path to --model).
MODEL_ARCHIVE="${MODEL_ARCHIVE:-}"
# More files to localise next to the log4j2 file, comma-separated, e.g. a ConvLens configuration
# (EXTRA_FILES=/home/me/audit.conf, then pass --conf audit.conf to ConvLens in cluster mode).
EXTRA_FILES="${EXTRA_FILES:-}"
# One attempt: let the scheduler (nightly-audit.sh, Airflow) decide about reruns; with
# --set output.mode=resume a rerun skips what earlier completed runs already analysed.
MAX_APP_ATTEMPTS="${MAX_APP_ATTEMPTS:-1}"

# shellcheck source=SCRIPTDIR/../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

convlens_check_command "$@"
convlens_check_app_jar

# YARN localises --files into each container's working directory before the JVM starts, so the
# executors (and a cluster-mode driver) find log4j2.properties by its name.
if [ "$DEPLOY_MODE" = cluster ]; then
  driver_log4j=log4j2.properties
else
  driver_log4j=$LOG4J_FILE
  # A client-mode driver is a local JVM and inherits this environment.
  export OMP_WAIT_POLICY=PASSIVE
  export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$DRIVER_CORES}"
fi
convlens_common_args log4j2.properties "$driver_log4j"

files=$LOG4J_FILE${EXTRA_FILES:+,$EXTRA_FILES}
cmd=(
  "$SPARK_SUBMIT"
  --master yarn
  --deploy-mode "$DEPLOY_MODE"
  --name "$(convlens_app_name "$1")"
  --queue "$YARN_QUEUE"
  --num-executors "$NUM_EXECUTORS"
  --driver-cores "$DRIVER_CORES"
  --files "$files"
  --conf "spark.yarn.maxAppAttempts=$MAX_APP_ATTEMPTS"
  # The driver's environment in cluster mode (spark.executorEnv.* covers only executors).
  --conf "spark.yarn.appMasterEnv.OMP_WAIT_POLICY=PASSIVE"
  --conf "spark.yarn.appMasterEnv.OMP_NUM_THREADS=$DRIVER_CORES"
)
if [ -n "$MODEL_ARCHIVE" ]; then
  cmd+=(--archives "$MODEL_ARCHIVE")
fi
cmd+=("${CONVLENS_ARGS[@]}" "$APP_JAR" "$@")
convlens_run "${cmd[@]}"
