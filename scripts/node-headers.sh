# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/demo.sh: node-gyp builds the addons
# against the headers of the Node.js that runs them (Debian's nodejs package
# installs them under /usr/include/node) instead of downloading them, which
# a machine without access to nodejs.org could not.
if [ -z "${npm_config_nodedir:-}" ]; then
  _node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  if [ -f "$_node_prefix/include/node/node_api.h" ]; then
    export npm_config_nodedir=$_node_prefix
  fi
  unset _node_prefix
fi
