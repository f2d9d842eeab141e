# shellcheck shell=bash
# Settings shared by deploy/standalone/submit.sh, deploy/yarn/submit.sh and
# deploy/kubernetes/submit.sh. This file is sourced, never run.
#
# Every value below is a default. To change one, export the variable or put it in front of the
# command, e.g.  EXECUTOR_CORES=8 EXECUTOR_MEMORY_OVERHEAD=6g deploy/yarn/submit.sh analyze ...
# Why each setting exists: deploy/README.md. How to size the numbers: docs/sizing.md.

# ---- what is submitted ------------------------------------------------------------------------

# The checkout this file belongs to.
CONVLENS_HOME="${CONVLENS_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# The application jar built by `mvn -B -DskipTests package`: ConvLens, DJL, the PyTorch CPU
# natives, Smile, picocli, Typesafe Config, Pebble, ECharts. Spark, Scala and Hadoop are not in it:
# the cluster provides them and must run Spark 4.1.x for Scala 2.13 on JDK 17.
APP_JAR="${APP_JAR:-$CONVLENS_HOME/jobs/target/convlens-jobs-0.1.0-SNAPSHOT-app.jar}"
MAIN_CLASS="${MAIN_CLASS:-org.convlens.jobs.ConvLensCli}"
# spark-submit of a Spark 4.1.x / Scala 2.13 installation: $SPARK_HOME/bin/spark-submit when
# SPARK_HOME is set, else the one on PATH.
SPARK_SUBMIT="${SPARK_SUBMIT:-${SPARK_HOME:+$SPARK_HOME/bin/}spark-submit}"
# Prefix of the Spark application name; the ConvLens command is appended (convlens-analyze, ...).
APP_NAME_PREFIX="${APP_NAME_PREFIX:-convlens}"

# ---- executors and driver (docs/sizing.md) ------------------------------------------------------

# Task slots per executor = EXECUTOR_CORES / TASK_CPUS. Each slot runs one task thread with its own
# inference session; the executor JVM loads the model once.
EXECUTOR_CORES="${EXECUTOR_CORES:-4}"
# JVM heap per executor: decoded batches, rows, Parquet write buffers.
EXECUTOR_MEMORY="${EXECUTOR_MEMORY:-4g}"
# Memory YARN / Kubernetes reserve beyond the heap. libtorch allocates its tensors (weights,
# activations of every batch in flight, gradients for saliency/Grad-CAM) outside the JVM heap, so
# Spark's default (10% of the heap, at least 384 MiB) is far too small. 4g suits 4 slots of
# ResNet-18 at 224 px with analyze.batch-size=16; see docs/sizing.md for the rule of thumb.
EXECUTOR_MEMORY_OVERHEAD="${EXECUTOR_MEMORY_OVERHEAD:-4g}"
# Number of executors (YARN, Kubernetes; standalone uses TOTAL_EXECUTOR_CORES instead).
NUM_EXECUTORS="${NUM_EXECUTORS:-4}"
# Cores Spark reserves per task. Keep it equal to ConvLens' model.threads (default 1): then
# EXECUTOR_CORES = slots x libtorch threads and nothing is oversubscribed.
TASK_CPUS="${TASK_CPUS:-1}"
# OpenMP threads per executor JVM before ConvLens sets model.threads (it matters when
# model.threads = 0, "PyTorch's default", which would otherwise take every core of the node).
EXECUTOR_OMP_NUM_THREADS="${EXECUTOR_OMP_NUM_THREADS:-$TASK_CPUS}"
# The driver: analyze and model-viz load the model there once to check it; report collects a
# capped sample and runs PCA and t-SNE on the driver's cores (docs/sizing.md, "The driver").
DRIVER_MEMORY="${DRIVER_MEMORY:-6g}"
DRIVER_MEMORY_OVERHEAD="${DRIVER_MEMORY_OVERHEAD:-2g}"
DRIVER_CORES="${DRIVER_CORES:-4}"

# ---- the native engine ------------------------------------------------------------------------

# true: DJL never touches the network (the CPU natives are inside the app jar). Set false only
# for the GPU route where executors download DJL's CUDA build (deploy/gpu/README.md).
DJL_OFFLINE="${DJL_OFFLINE:-true}"
# Where DJL extracts libtorch (about 430 MB, about 3 s, once per directory; concurrent JVMs on a
# node may race safely). Must be a writable local directory on every node, unless it already
# holds the extracted natives (the container image does). DJL creates its folders mode 700, so
# give each OS user its own directory.
DJL_CACHE_DIR="${DJL_CACHE_DIR:-/tmp/convlens-djl-$(id -un)}"
# The log4j2 configuration on this machine; shipped to the cluster with --files.
LOG4J_FILE="${LOG4J_FILE:-$CONVLENS_HOME/conf/log4j2.properties}"
# glibc allocator settings: 1 (default) = keep freed native memory instead of returning it to the
# OS (MALLOC_MMAP_THRESHOLD_=32 MiB, MALLOC_TRIM_THRESHOLD_=16 GiB), as the convlens launcher does
# locally. Made the analyze job's occlusion 7-24% faster with DJL on a 2-core machine
# (docs/benchmarks.md, 2026-12-06), +15-20% on forwards in PyTorch. The executor then holds its
# peak native memory for its lifetime: size EXECUTOR_MEMORY_OVERHEAD for that peak; 0 turns it off.
MALLOC_TUNING="${MALLOC_TUNING:-1}"
# glibc malloc arenas per process (empty = glibc default, 8 x cores). A small value (2-4) limits
# RSS growth with many threads; not measured for ConvLens.
MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-}"
# AVX2 when the executors' CPUs give wrong AVX-512 convolution gradients (docs/sizing.md).
ONEDNN_MAX_CPU_ISA="${ONEDNN_MAX_CPU_ISA:-}"
# Extra JVM options for executors / the driver (no spaces inside a single option).
EXECUTOR_JAVA_OPTS="${EXECUTOR_JAVA_OPTS:-}"
DRIVER_JAVA_OPTS="${DRIVER_JAVA_OPTS:-}"

# ---- GPU executors (deploy/gpu/README.md; not yet run on a GPU) --------------------------------

# 1 = add the Spark properties of GPU_CONF (executor/task GPU amounts, discovery script, the CUDA
# libtorch location).
GPU="${GPU:-0}"
GPU_CONF="${GPU_CONF:-$CONVLENS_HOME/deploy/gpu/gpu.conf}"

# ---- anything else ----------------------------------------------------------------------------

# More spark-submit options, split on whitespace, e.g.
#   SPARK_SUBMIT_EXTRA="--conf spark.eventLog.enabled=true --conf spark.eventLog.dir=hdfs:///spark-logs"
SPARK_SUBMIT_EXTRA="${SPARK_SUBMIT_EXTRA:-}"
# 1 = print the spark-submit command instead of running it.
DRY_RUN="${DRY_RUN:-0}"

# ---- helpers ------------------------------------------------------------------------------------

convlens_die() {
  echo "$(basename "$0"): $*" >&2
  exit 2
}

# Checks that "$1" is a ConvLens command that runs on a cluster.
convlens_check_command() {
  case "${1:-}" in
    analyze | model-viz | audit | report) ;;
    demo | sample | bench) convlens_die "'$1' runs locally only: use ./convlens $1" ;;
    "") convlens_die "usage: $0 analyze|model-viz|audit|report [ConvLens options], e.g. $0 report --out hdfs:///audits/run1" ;;
    *) convlens_die "unknown ConvLens command '$1' (analyze, model-viz, audit or report)" ;;
  esac
}

# Checks that the application jar exists when it is a file on this machine.
convlens_check_app_jar() {
  case "$APP_JAR" in
    *://*) ;; # local://, hdfs://, s3a://: checked by spark-submit
    *) [ -f "$APP_JAR" ] || convlens_die "no application jar at $APP_JAR: run 'mvn -B -DskipTests package' first (or set APP_JAR)" ;;
  esac
}

# The Spark application name for ConvLens command "$1".
convlens_app_name() {
  echo "$APP_NAME_PREFIX-$1"
}

# Appends "--conf key=value" to CONVLENS_ARGS for every "key value" (or key=value) line of a Spark
# properties file "$1"; blank lines and lines starting with # are skipped.
convlens_add_properties() {
  local file=$1 key value
  [ -f "$file" ] || convlens_die "no such properties file: $file"
  while read -r key value || [ -n "$key" ]; do
    case "$key" in "" | \#*) continue ;; esac
    if [ -z "$value" ] && [ "${key#*=}" != "$key" ]; then
      value=${key#*=}
      key=${key%%=*}
    fi
    CONVLENS_ARGS+=(--conf "$key=$value")
  done <"$file"
}

# Fills the array CONVLENS_ARGS with the spark-submit options all cluster types share.
#   $1: the log4j2 file as the executors open it (a name in their working directory or a path)
#   $2: the log4j2 file as the driver opens it
# Spark's JDK 17 module options (--add-opens ...) are not added here: spark-submit's launcher adds
# them to the driver and SparkContext prepends them to spark.{driver,executor}.extraJavaOptions.
convlens_common_args() {
  local executor_log4j=$1 driver_log4j=$2
  local engine="-Dai.djl.offline=$DJL_OFFLINE -DDJL_CACHE_DIR=$DJL_CACHE_DIR"
  local executor_opts="$engine -Dlog4j2.configurationFile=$executor_log4j${EXECUTOR_JAVA_OPTS:+ $EXECUTOR_JAVA_OPTS}"
  local driver_opts="$engine -Dlog4j2.configurationFile=$driver_log4j${DRIVER_JAVA_OPTS:+ $DRIVER_JAVA_OPTS}"
  CONVLENS_ARGS=(
    --class "$MAIN_CLASS"
    --executor-cores "$EXECUTOR_CORES"
    --executor-memory "$EXECUTOR_MEMORY"
    --driver-memory "$DRIVER_MEMORY"
    --conf "spark.executor.memoryOverhead=$EXECUTOR_MEMORY_OVERHEAD"
    --conf "spark.driver.memoryOverhead=$DRIVER_MEMORY_OVERHEAD"
    --conf "spark.task.cpus=$TASK_CPUS"
    --conf "spark.executor.extraJavaOptions=$executor_opts"
    --conf "spark.driver.extraJavaOptions=$driver_opts"
    # OpenMP threads spin while idle by default; on shared cores that made forwards 2-10x slower
    # (measured on a 2-core machine). PASSIVE lets them sleep. Read by libgomp at load: an env var.
    --conf "spark.executorEnv.OMP_WAIT_POLICY=PASSIVE"
    --conf "spark.executorEnv.OMP_NUM_THREADS=$EXECUTOR_OMP_NUM_THREADS"
  )
  if [ "$MALLOC_TUNING" = 1 ]; then
    CONVLENS_ARGS+=(
      --conf "spark.executorEnv.MALLOC_MMAP_THRESHOLD_=33554432"
      --conf "spark.executorEnv.MALLOC_TRIM_THRESHOLD_=17179869184"
    )
  fi
  if [ -n "$MALLOC_ARENA_MAX" ]; then
    CONVLENS_ARGS+=(--conf "spark.executorEnv.MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX")
  fi
  # Caps libtorch's oneDNN kernels (read when the library loads: an env var). AVX2 on executors
  # whose CPU gives wrong AVX-512 convolution gradients (AMD family 26 did); the engine checks at
  # start and fails the task with this advice where it is needed and missing.
  if [ -n "$ONEDNN_MAX_CPU_ISA" ]; then
    CONVLENS_ARGS+=(--conf "spark.executorEnv.ONEDNN_MAX_CPU_ISA=$ONEDNN_MAX_CPU_ISA")
  fi
  if [ "$GPU" = 1 ]; then
    convlens_add_properties "$GPU_CONF"
  fi
  if [ -n "$SPARK_SUBMIT_EXTRA" ]; then
    local -a extra
    read -r -a extra <<<"$SPARK_SUBMIT_EXTRA"
    CONVLENS_ARGS+=("${extra[@]}")
  fi
}

# Runs the command "$@", or prints it (shell-quoted) when DRY_RUN=1.
convlens_run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '%q ' "$@"
    printf '\n'
    return 0
  fi
  "$@"
}
