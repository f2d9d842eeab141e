#!/usr/bin/env bash
# Submits one ConvLens job to Kubernetes with spark-submit (cluster mode: the driver runs in a
# pod). The container image is built from deploy/docker/Dockerfile and holds the application
# jar, conf/ and the DJL natives already extracted, so nothing is downloaded or extracted at run
# time. For the Spark Operator instead of spark-submit, see sparkapplication.yaml here.
#
#   deploy/kubernetes/submit.sh analyze --input s3a://datasets/imagenet/val \
#       --model /models/resnet18/resnet18.pt --out s3a://audits/resnet18/2026-11-23
#   deploy/kubernetes/submit.sh model-viz --model /models/resnet18/resnet18.pt --out s3a://audits/resnet18/2026-11-23
#   deploy/kubernetes/submit.sh report --out s3a://audits/resnet18/2026-11-23
#
# Everything after the script name goes to ConvLens unchanged. Paths given to ConvLens are read
# inside the pods: the model from the volume mounted at /models (MODELS_PVC) or from the image,
# input and output from a Hadoop filesystem the image can reach (S3A needs hadoop-aws and its AWS
# SDK jars in /opt/spark/jars; check your Spark image). Shared settings are in ../common.sh;
# DRY_RUN=1 prints the command.
#
# One-time setup (namespace, and a service account the driver uses to create executor pods):
#   kubectl create namespace convlens
#   kubectl -n convlens create serviceaccount spark
#   kubectl -n convlens create rolebinding spark-edit --clusterrole=edit --serviceaccount=convlens:spark
set -euo pipefail

# ---- change these for your cluster -----------------------------------------------------------
# The API server: k8s://https://<host>:<port> (see `kubectl cluster-info`).
K8S_MASTER="${K8S_MASTER:-k8s://https://kubernetes.example.com:6443}"
K8S_NAMESPACE="${K8S_NAMESPACE:-convlens}"
SERVICE_ACCOUNT="${SERVICE_ACCOUNT:-spark}"
# The image from deploy/docker/Dockerfile (or Dockerfile.gpu with GPU=1), pushed to a registry
# the nodes can pull from.
IMAGE="${IMAGE:-registry.example.com/convlens:0.1.0}"
IMAGE_PULL_POLICY="${IMAGE_PULL_POLICY:-IfNotPresent}"
# A PersistentVolumeClaim with the models, mounted read-only at /models on the driver and the
# executors. Empty = no volume (the model is baked into the image or read from elsewhere).
MODELS_PVC="${MODELS_PVC:-convlens-models}"
MODELS_MOUNT="${MODELS_MOUNT:-/models}"
# The DJL natives: the image has them extracted in /opt/convlens/djl-cache (read-only is fine).
# To use a node-wide cache instead (images without the pre-extracted natives), name a host
# directory that exists on every node and is writable by uid 185 (the image's user): it is
# mounted at DJL_CACHE_DIR and filled once per node.
DJL_CACHE_HOSTPATH="${DJL_CACHE_HOSTPATH:-}"
# 1 = after spark-submit returns, ask Kubernetes for the driver pod's phase and fail unless it is
# Succeeded (spark-submit's own exit status has not always reflected the driver's; SPARK-26365).
CHECK_DRIVER_POD="${CHECK_DRIVER_POD:-1}"

# Paths inside the image (deploy/docker/Dockerfile).
APP_JAR="${APP_JAR:-local:///opt/convlens/convlens-app.jar}"
DJL_CACHE_DIR="${DJL_CACHE_DIR:-/opt/convlens/djl-cache}"
IMAGE_LOG4J="${IMAGE_LOG4J:-/opt/convlens/conf/log4j2.properties}"

# shellcheck source=SCRIPTDIR/../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

convlens_check_command "$@"
convlens_check_app_jar

# The log4j2 file is in the image, so both driver and executors open it by its absolute path.
convlens_common_args "$IMAGE_LOG4J" "$IMAGE_LOG4J"

# A driver pod name we know, so the result can be checked (lower case, at most 63 characters).
driver_pod="$(convlens_app_name "$1")-$(date -u +%Y%m%d-%H%M%S)-$RANDOM"
driver_pod=$(echo "$driver_pod" | tr '[:upper:]' '[:lower:]' | cut -c1-63)

cmd=(
  "$SPARK_SUBMIT"
  --master "$K8S_MASTER"
  --deploy-mode cluster
  --name "$(convlens_app_name "$1")"
  --conf "spark.executor.instances=$NUM_EXECUTORS"
  --conf "spark.driver.cores=$DRIVER_CORES"
  --conf "spark.kubernetes.namespace=$K8S_NAMESPACE"
  --conf "spark.kubernetes.container.image=$IMAGE"
  --conf "spark.kubernetes.container.image.pullPolicy=$IMAGE_PULL_POLICY"
  --conf "spark.kubernetes.authenticate.driver.serviceAccountName=$SERVICE_ACCOUNT"
  --conf "spark.kubernetes.driver.pod.name=$driver_pod"
  # The driver pod's environment (spark.executorEnv.* covers only executors).
  --conf "spark.kubernetes.driverEnv.OMP_WAIT_POLICY=PASSIVE"
  --conf "spark.kubernetes.driverEnv.OMP_NUM_THREADS=$DRIVER_CORES"
)
if [ -n "$MODELS_PVC" ]; then
  for role in driver executor; do
    cmd+=(
      --conf "spark.kubernetes.$role.volumes.persistentVolumeClaim.models.options.claimName=$MODELS_PVC"
      --conf "spark.kubernetes.$role.volumes.persistentVolumeClaim.models.mount.path=$MODELS_MOUNT"
      --conf "spark.kubernetes.$role.volumes.persistentVolumeClaim.models.mount.readOnly=true"
    )
  done
fi
if [ -n "$DJL_CACHE_HOSTPATH" ]; then
  for role in driver executor; do
    cmd+=(
      --conf "spark.kubernetes.$role.volumes.hostPath.djl-cache.options.path=$DJL_CACHE_HOSTPATH"
      --conf "spark.kubernetes.$role.volumes.hostPath.djl-cache.mount.path=$DJL_CACHE_DIR"
      --conf "spark.kubernetes.$role.volumes.hostPath.djl-cache.mount.readOnly=false"
    )
  done
  # The image sets DJL_CACHE_DIR in its environment, which DJL reads before -DDJL_CACHE_DIR.
  cmd+=(
    --conf "spark.kubernetes.driverEnv.DJL_CACHE_DIR=$DJL_CACHE_DIR"
    --conf "spark.executorEnv.DJL_CACHE_DIR=$DJL_CACHE_DIR"
  )
fi
if [ "$GPU" = 1 ]; then
  # Spark turns amount + vendor into the pod limit nvidia.com/gpu (the NVIDIA device plugin must
  # run on the GPU nodes); gpu.conf adds the amounts and the discovery script.
  cmd+=(--conf "spark.executor.resource.gpu.vendor=nvidia.com")
fi
cmd+=("${CONVLENS_ARGS[@]}" "$APP_JAR" "$@")

status=0
convlens_run "${cmd[@]}" || status=$?
if [ "$DRY_RUN" = 1 ] || [ "$status" -ne 0 ]; then
  exit "$status"
fi
if [ "$CHECK_DRIVER_POD" = 1 ] && command -v kubectl >/dev/null 2>&1; then
  phase=$(kubectl -n "$K8S_NAMESPACE" get pod "$driver_pod" -o jsonpath='{.status.phase}' 2>/dev/null || true)
  if [ "$phase" != Succeeded ]; then
    echo "$(basename "$0"): driver pod $driver_pod ended in phase '${phase:-unknown}': see kubectl -n $K8S_NAMESPACE logs $driver_pod" >&2
    exit 1
  fi
fi
