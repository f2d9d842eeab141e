#!/usr/bin/env bash
# Spark GPU discovery script: prints the GPUs this executor may use as the JSON Spark expects
# from spark.{driver,executor,worker}.resource.gpu.discoveryScript, e.g.
#   {"name":"gpu","addresses":["0","1"]}
#
# The addresses are CUDA device ordinals as this process sees them, because ConvLens hands the
# address Spark assigns to a task straight to libtorch as the device index (model.device=auto).
#   - CUDA_VISIBLE_DEVICES set (YARN's GPU isolation, some schedulers): CUDA renumbers the listed
#     devices 0..n-1, so the script prints 0..n-1 for them.
#   - otherwise: the indices nvidia-smi lists. In a container with the NVIDIA runtime
#     (Kubernetes device plugin) those are already only the GPUs given to the container.
# Spark needs the script executable on every node at the same path (the image has it at
# /opt/convlens/bin/get-gpus.sh). Not yet run on a GPU machine; tested with a stand-in nvidia-smi.
set -euo pipefail

# The resource name; must match spark.*.resource.<name>.* (ConvLens reads "gpu").
RESOURCE_NAME="${RESOURCE_NAME:-gpu}"
# nvidia-smi to ask; override for a non-standard install.
NVIDIA_SMI="${NVIDIA_SMI:-nvidia-smi}"

addresses=()
if [ -n "${CUDA_VISIBLE_DEVICES:-}" ] && [ "${CUDA_VISIBLE_DEVICES}" != "NoDevFiles" ]; then
  IFS=',' read -r -a visible <<<"$CUDA_VISIBLE_DEVICES"
  for i in "${!visible[@]}"; do
    # A negative or empty entry hides it and every device after it (CUDA's rule).
    entry="${visible[$i]//[[:space:]]/}"
    case "$entry" in "" | -*) break ;; esac
    addresses+=("$i")
  done
else
  if ! command -v "$NVIDIA_SMI" >/dev/null 2>&1; then
    echo "get-gpus.sh: $NVIDIA_SMI not found: no NVIDIA driver on this node?" >&2
    exit 1
  fi
  if ! listing=$("$NVIDIA_SMI" --query-gpu=index --format=csv,noheader); then
    echo "get-gpus.sh: $NVIDIA_SMI failed" >&2
    exit 1
  fi
  while read -r index; do
    index="${index//[[:space:]]/}"
    [ -n "$index" ] && addresses+=("$index")
  done <<<"$listing"
fi

json=""
for a in "${addresses[@]+"${addresses[@]}"}"; do
  json+="${json:+,}\"$a\""
done
printf '{"name":"%s","addresses":[%s]}\n' "$RESOURCE_NAME" "$json"
