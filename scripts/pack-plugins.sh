#!/usr/bin/env bash
# Builds the five plugin packages and packs each into DIR as the tarball npm would publish, then
# prints the tarballs' paths, one a line:
#
#   scripts/pack-plugins.sh DIR
#
# The steps are the publishing ones: `tsc` writes the type declarations, `backstage-cli package
# build` bundles code and declarations into dist/, and `yarn pack` runs the package's prepack
# (`backstage-cli package prepack`: entry points moved to dist/, config.d.ts compiled to
# config.schema.json), rewrites workspace: ranges to the real versions, and runs postpack, which
# puts package.json back. Each tarball is then checked: built code, declarations, config schema,
# migrations, the SMTP pool thread's files, README and LICENSE in it, nothing from tests, no
# workspace: range left.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: scripts/pack-plugins.sh DIR" >&2
  exit 2
fi
mkdir -p "$1"
out="$(cd "$1" && pwd)"
cd "$(dirname "$0")/.."
source scripts/env.sh

# Dependencies first, so a failure names the lowest broken package.
plugins=(
  email-provider-common
  email-provider-node
  email-provider-backend
  email-provider
  notifications-backend-module-email-provider
)

# A prepack that failed half-way leaves the publish-time package.json behind; put it back.
restore_package_json() {
  for plugin in "${plugins[@]}"; do
    if [ -f "plugins/$plugin/package.json-prepack" ]; then
      (cd "plugins/$plugin" && yarn backstage-cli package postpack) >&2 || true
    fi
  done
}
trap restore_package_json EXIT

echo "Type declarations (tsc)" >&2
yarn tsc >&2
for plugin in "${plugins[@]}"; do
  echo "Building plugins/$plugin" >&2
  (cd "plugins/$plugin" && yarn backstage-cli package build) >&2
done

# Fails with the reasons when a tarball lacks what an adopter needs or carries test code.
check_tarball() {
  local tarball="$1" dir="$2" files problems=()
  files="$(tar -tzf "$tarball")"
  has() { grep -qxE "$1" <<<"$files" || problems+=("missing $1"); }
  has 'package/package.json'
  has 'package/README.md'
  has 'package/LICENSE'
  has 'package/dist/index\.(cjs|esm)\.js'
  has 'package/dist/index\.d\.ts'
  if [ -f "$dir/config.d.ts" ]; then has 'package/config\.schema\.json'; fi
  if [ -d "$dir/migrations" ]; then
    for migration in "$dir"/migrations/*.js; do has "package/migrations/$(basename "$migration")"; done
  fi
  if [ -d "$dir/smtpPoolThread" ]; then
    for file in "$dir"/smtpPoolThread/*.js; do has "package/smtpPoolThread/$(basename "$file")"; done
  fi
  local tests
  tests="$(grep -E '__testUtils__|__fixtures__|\.test\.|setupTests|^package/(dev|src)/' <<<"$files" || true)"
  if [ -n "$tests" ]; then problems+=("test or source files: $(tr '\n' ' ' <<<"$tests")"); fi
  if tar -xzOf "$tarball" package/package.json | grep -q '"workspace:'; then
    problems+=("a workspace: range in package.json")
  fi
  if [ ${#problems[@]} -gt 0 ]; then
    echo "$tarball is not publishable:" >&2
    printf '  %s\n' "${problems[@]}" >&2
    return 1
  fi
}

tarballs=()
for plugin in "${plugins[@]}"; do
  dir="plugins/$plugin"
  # npm's file name: @scope/name 1.2.3 -> scope-name-1.2.3.tgz
  tarball="$out/$(node -p "const p = require('./$dir/package.json'); p.name.replace(/^@/, '').replace('/', '-') + '-' + p.version").tgz"
  echo "Packing $dir" >&2
  (cd "$dir" && yarn pack --out "$tarball") >&2
  check_tarball "$tarball" "$dir"
  tarballs+=("$tarball")
done
printf '%s\n' "${tarballs[@]}"
