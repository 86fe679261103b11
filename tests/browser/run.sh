#!/usr/bin/env bash
# The monitor's browser test (a TEST_SCRIPTS entry): headless Chromium against a CPU training run
# of ./gan (when built), or against build/fake_run's synthetic run (GAN_E2E_SERVER=fake, or no ./gan).
# Skips, saying why, when Chromium, node or playwright-core is missing (http/ci-deps installs
# them). The screenshot goes to $BUILD/test-results/monitor.png; GAN_UPDATE_SCREENSHOT=1 also
# copies it to docs/monitor.png and the live run's quality charts to docs/quality-chart.png (the
# README's pictures).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
skip() { echo "skipped: $1"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[[ -x $CHROMIUM ]] || skip "no Chromium at $CHROMIUM (apt-get install chromium, or run http/ci-deps)"
command -v node >/dev/null || skip "no node (apt-get install nodejs)"
[[ -d tests/browser/node_modules/playwright-core ]] || skip "playwright-core not installed (cd tests/browser && npm ci)"
if [[ ${GAN_E2E_SERVER:-gan} == gan && -x ./gan ]]; then
  server=./gan
  echo "server: ./gan --train on the CPU (GAN_E2E_SERVER=fake uses build/fake_run instead)"
else
  if [[ ! -x $BUILD/fake_run ]]; then make --no-print-directory "$BUILD/fake_run" >/dev/null || { echo "cannot build $BUILD/fake_run"; echo "0 passed, 1 failed"; exit 1; }; fi
  server=$BUILD/fake_run
  echo "server: $server (a synthetic run; no trainer)"
fi
shot=$BUILD/test-results/monitor.png
CHROMIUM=$CHROMIUM timeout 300 node tests/browser/monitor.test.js "$server" "$shot"
rc=$?
if ((rc == 0)) && [[ ${GAN_UPDATE_SCREENSHOT:-0} == 1 ]]; then
  cp "$shot" docs/monitor.png && echo "updated docs/monitor.png"
  q=$(dirname "$shot")/quality-chart.png
  if [[ -f $q ]]; then cp "$q" docs/quality-chart.png && echo "updated docs/quality-chart.png"; fi
fi
exit $rc
