#!/usr/bin/env bash
# Route 1b of deploy/gpu/README.md: fetch DJL's own CUDA build of libtorch 2.7.1 once, on any
# machine that can reach DJL's download site, into a folder that is then used offline through
# PYTORCH_LIBRARY_PATH (baked into the GPU image, or copied to the same path on every GPU node).
#
#   deploy/gpu/fetch-djl-libtorch.sh                      # -> deploy/docker/libtorch/lib
#   DEST=/opt/libtorch deploy/gpu/fetch-djl-libtorch.sh   # -> /opt/libtorch/lib
#
# What it does is what DJL 0.35.1's LibUtils does when it downloads natives itself (read from
# the pytorch-engine 0.35.1 jar): read <site>/<version>/files.txt, take the lines
# "<flavour>/linux-x86_64/native/lib/<name>.gz", download and gunzip each into the folder. It also
# puts DJL's JNI glue for the same flavour (from the application jar) next to them, where DJL
# looks first. UNVERIFIED: DJL's site was not reachable where this was written, so neither the
# file list nor a download has been seen; check the folder holds libtorch.so, libtorch_cuda.so and
# libc10_cuda.so before using it.
set -euo pipefail

# ---- change if needed --------------------------------------------------------------------------
CONVLENS_HOME="${CONVLENS_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# DJL's download site and the PyTorch version DJL 0.35.1 is built for.
DJL_SITE="${DJL_SITE:-https://publish.djl.ai/pytorch}"
PYTORCH_VERSION="${PYTORCH_VERSION:-2.7.1}"
# cu128: the only CUDA flavour whose JNI glue ships in pytorch-jni 2.7.1-0.35.1.
PYTORCH_FLAVOR="${PYTORCH_FLAVOR:-cu128}"
CLASSIFIER="${CLASSIFIER:-linux-x86_64}"
# The folder to create; the libraries go into $DEST/lib (PYTORCH_LIBRARY_PATH=$DEST/lib).
DEST="${DEST:-$CONVLENS_HOME/deploy/docker/libtorch}"
# The application jar that carries the JNI glue.
APP_JAR="${APP_JAR:-$CONVLENS_HOME/jobs/target/convlens-jobs-0.1.0-SNAPSHOT-app.jar}"

base="$DJL_SITE/$PYTORCH_VERSION"
prefix="$PYTORCH_FLAVOR/$CLASSIFIER/native/lib/"
mkdir -p "$DEST/lib"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "reading $base/files.txt"
curl -fsSL "$base/files.txt" -o "$tmp/files.txt"
count=0
while read -r entry; do
  case "$entry" in "$prefix"*.gz) ;; *) continue ;; esac
  name=${entry##*/}
  name=${name%.gz}
  # DJL URL-decodes the file names in the list.
  name=$(printf '%b' "${name//%/\\x}")
  echo "fetching $name"
  curl -fsSL "$base/$entry" | gunzip >"$tmp/$name"
  mv "$tmp/$name" "$DEST/lib/$name"
  count=$((count + 1))
done <"$tmp/files.txt"
if [ "$count" -eq 0 ]; then
  echo "fetch-djl-libtorch.sh: no '$prefix' entries in $base/files.txt" >&2
  exit 1
fi

if [ -f "$APP_JAR" ]; then
  jni="jnilib/$CLASSIFIER/$PYTORCH_FLAVOR/libdjl_torch.so"
  (cd "$tmp" && unzip -q -o "$APP_JAR" "$jni")
  mv "$tmp/$jni" "$DEST/lib/libdjl_torch.so"
else
  echo "note: no $APP_JAR; DJL will extract its JNI glue from the jar at run time (needs a writable DJL_CACHE_DIR)" >&2
fi
chmod -R a+rX "$DEST"
echo "done: $count libraries in $DEST/lib; executors need PYTORCH_LIBRARY_PATH=$DEST/lib PYTORCH_VERSION=$PYTORCH_VERSION PYTORCH_FLAVOR=$PYTORCH_FLAVOR"
