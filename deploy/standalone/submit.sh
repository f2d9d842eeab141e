#!/usr/bin/env bash
# Submits one ConvLens job to a Spark standalone cluster. The driver runs on this machine (client
# mode), so run it on a host that can reach the master and that the workers can reach back.
#
#   deploy/standalone/submit.sh analyze --input hdfs:///datasets/imagenet/val \
#       --model /shared/models/resnet18/resnet18.pt --out hdfs:///audits/2026-11-23
#   deploy/standalone/submit.sh model-viz --model /shared/models/resnet18/resnet18.pt --out hdfs:///audits/2026-11-23
#   deploy/standalone/submit.sh report --out hdfs:///audits/2026-11-23
#
# Everything after the script name is passed to ConvLens unchanged. Shared settings (executor
# size, DJL cache, allocator, GPU) are in ../common.sh; DRY_RUN=1 prints the command.
set -euo pipefail

# ---- change these for your cluster -----------------------------------------------------------
# The master URL (spark://host:7077, or spark://h1:7077,h2:7077 with standby masters).
SPARK_MASTER="${SPARK_MASTER:-spark://spark-master.example.com:7077}"
# Cores this application may take in total (standalone has no executor count: it starts
# TOTAL_EXECUTOR_CORES / EXECUTOR_CORES executors where workers have room).
TOTAL_EXECUTOR_CORES="${TOTAL_EXECUTOR_CORES:-16}"
# EXECUTOR_LOG4J: the log4j2 file as executors open it; default: the same absolute path as on
# this machine (LOG4J_FILE, the checkout's conf/log4j2.properties), so install the checkout (or
# that one file) at the same path on every worker. --files also copies the file into each
# executor's working directory, but on standalone that happens when the first task arrives, after
# the executor has configured its logging: with a relative name the executors log at Spark's
# default level (seen on a local standalone cluster; a missing file is not an error).
# The model path given with --model must be readable at the same local path on this machine (the
# driver loads it once to check it) and on every worker: a shared mount such as NFS, or a copy
# installed on every node. Input and output may be any Hadoop filesystem the workers can reach.

# shellcheck source=SCRIPTDIR/../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

EXECUTOR_LOG4J="${EXECUTOR_LOG4J:-$LOG4J_FILE}"

convlens_check_command "$@"
convlens_check_app_jar

# The driver JVM runs here and inherits this environment (libtorch loads on the driver too).
export OMP_WAIT_POLICY=PASSIVE
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$DRIVER_CORES}"

convlens_common_args "$EXECUTOR_LOG4J" "$LOG4J_FILE"

# Note: spark.executor.memoryOverhead is not reserved by standalone workers (they count only
# the heap, SPARK_WORKER_MEMORY): leave physical memory on each worker for libtorch's native
# memory, see docs/sizing.md.
cmd=(
  "$SPARK_SUBMIT"
  --master "$SPARK_MASTER"
  --deploy-mode client
  --name "$(convlens_app_name "$1")"
  --total-executor-cores "$TOTAL_EXECUTOR_CORES"
  --files "$LOG4J_FILE"
  "${CONVLENS_ARGS[@]}"
  "$APP_JAR"
  "$@"
)
convlens_run "${cmd[@]}"
