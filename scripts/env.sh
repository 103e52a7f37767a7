# Sourced by ./dev and .ci/run: puts a Node.js that Backstage supports (22 or 24) and yarn on PATH.
#
# On a machine that already has Node 22 or 24 this changes nothing. Otherwise (these build machines
# ship Node 20) it installs Node 22 from the npm registry once into a cache folder, and points node-gyp
# at that Node's headers so native addons such as better-sqlite3 are built for the Node that runs them.

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

case "$(node_major)" in
  22|24) ;;
  *)
    node_home="${EMAIL_PORTAL_NODE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/email-provider-portal/node22}"
    if [ ! -x "$node_home/bin/node" ]; then
      echo "Node 22 or 24 is required; installing Node 22 into $node_home" >&2
      npm install --global --prefix "$node_home" --no-audit --no-fund node@22 >&2 || return 1
    fi
    export PATH="$node_home/bin:$PATH"
    for headers in "$node_home"/lib/node_modules/node/node_modules/node-*/include/node; do
      [ -d "$headers" ] && export npm_config_nodedir="${headers%/include/node}"
    done
    ;;
esac

# Yarn is the release committed under .yarn/releases; a global yarn (any version) defers to it.
command -v yarn >/dev/null 2>&1 || export PATH="$repo_root/scripts/bin:$PATH"
