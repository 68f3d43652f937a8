#!/bin/sh
# Builds flexbench's native interface addon (AF_XDP + AF_PACKET) into runtime/native/build/Release/.
# Needs: a C compiler, make, python3, Node's headers (npm's nodedir or node-gyp's download cache),
# libxdp-dev and libbpf-dev. Uses the node-gyp in node_modules if present, else the one npm bundles.
set -eu
cd "$(dirname "$0")"
for h in /usr/include/xdp/xsk.h /usr/include/bpf/libbpf.h; do
  [ -f "$h" ] || { echo "build:native: $h missing: apt-get install libxdp-dev libbpf-dev" >&2; exit 5; }
done
GYP=""
if [ -x ../../node_modules/.bin/node-gyp ]; then GYP="../../node_modules/.bin/node-gyp"
else
  NPM_GYP="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$NPM_GYP" ] && GYP="node $NPM_GYP"
fi
[ -n "$GYP" ] || { echo "build:native: node-gyp not found (npm install --save-dev node-gyp)" >&2; exit 5; }
NODEDIR_ARG=""
# Use local headers when Node's own are installed (offline build); else node-gyp downloads them.
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")/include/node/node_api.h" ]; then
  NODEDIR_ARG="--nodedir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
fi
exec $GYP rebuild $NODEDIR_ARG "$@"
