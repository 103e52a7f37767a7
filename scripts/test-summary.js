// Prints the closing line CI reads, `N passed, N failed`, from a jest --json report and, when
// given, the JSON report of the Playwright end-to-end suite (./dev test); .ci/run then adds the
// adopter test's Playwright report to the line ./dev test printed. A run that executed no test
// at all is a failure, not a pass; so is a missing report. `--checks` adds the check steps of
// ./dev test (type check, reports, lint, formatting, builds), each counted as one test.
//
//   node scripts/test-summary.js <jest.json> [<playwright.json>] [--checks <passed> <failed>]
//   node scripts/test-summary.js --summary "<N passed, N failed[, N skipped]>" --adopter <playwright.json>
const fs = require('fs');

let passed = 0;
let failed = 0;
let skipped = 0;

const positional = [];
let summary;
let adopterFile;
for (let i = 2; i < process.argv.length; i += 1) {
  const arg = process.argv[i];
  if (arg === '--summary') {
    summary = process.argv[++i];
  } else if (arg === '--checks') {
    passed += Number(process.argv[++i]);
    failed += Number(process.argv[++i]);
  } else if (arg === '--adopter') {
    adopterFile = process.argv[++i];
  } else {
    positional.push(arg);
  }
}
const [jestFile, playwrightFile] = positional;

if (summary !== undefined) {
  const counts = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/.exec(
    summary.trim(),
  );
  if (!counts) {
    console.error(`The earlier tests ended without a summary line`);
    failed += 1;
  } else {
    passed += Number(counts[1]);
    failed += Number(counts[2]);
    skipped += Number(counts[3] ?? 0);
  }
}

if (jestFile !== undefined) {
  if (!fs.existsSync(jestFile)) {
    console.error('The test runner wrote no report');
    failed += 1;
  } else {
    const report = JSON.parse(fs.readFileSync(jestFile, 'utf8'));
    const failedSuites = report.testResults.filter(
      suite => suite.status === 'failed' && suite.assertionResults.length === 0,
    ).length;
    passed += report.numPassedTests;
    failed += report.numFailedTests + failedSuites;
    skipped += report.numPendingTests + report.numTodoTests;
  }
}

/** Adds a Playwright JSON report's outcome; `name` says which suite in messages. */
function addPlaywright(file, name) {
  if (!fs.existsSync(file)) {
    console.error(`The ${name} wrote no report`);
    failed += 1;
    return;
  }
  // stats: expected (passed), unexpected (failed), flaky (passed on a retry), skipped. Errors
  // outside any test (global setup, a file that does not load) count as one failure each.
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const stats = report.stats ?? {};
  const suitePassed = (stats.expected ?? 0) + (stats.flaky ?? 0);
  const suiteFailed = (stats.unexpected ?? 0) + (report.errors ?? []).length;
  if (suitePassed + suiteFailed === 0) {
    console.error(`The ${name} ran no test`);
    failed += 1;
  }
  passed += suitePassed;
  failed += suiteFailed;
  skipped += stats.skipped ?? 0;
}

if (playwrightFile !== undefined) {
  addPlaywright(playwrightFile, 'end-to-end suite');
}
if (adopterFile !== undefined) {
  addPlaywright(adopterFile, 'adopter test');
}

console.log(
  `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
