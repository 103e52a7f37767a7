#!/usr/bin/env bash
# yarn test:adopter: the adopter test (see freshPortal.smoke.ts). From a clone of this repository
# it packs the five plugin packages, creates a fresh portal with @backstage/create-app in a
# temporary folder, installs the packages there by the READMEs (docs/install/), starts it and
# drives it in Chromium. About 7 minutes once yarn's package cache holds the portal's
# dependencies; the portal's yarn install needs the npm registry.
#
# Step logs: e2e-test-report/adopter/logs/ (steps.log, then one log per command). The JSON report
# goes to $ADOPTER_JSON_REPORT (default e2e-test-report/adopter/results.json). ADOPTER_KEEP_PORTAL=1
# keeps the temporary portal for a look afterwards.
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh

started=$(date +%s)
if [ ! -f node_modules/.yarn-state.yml ]; then
  yarn install --immutable || exit 1
fi
yarn playwright test --config e2e-tests/adopter/playwright.config.ts "$@"
status=$?
echo "Adopter test: $(($(date +%s) - started)) s in all (exit $status)"
exit $status
