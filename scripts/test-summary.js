// Prints the closing line CI reads, `N passed, N failed`, from a jest --json report and, when
// given, the JSON report of the Playwright end-to-end suite. A run that executed no test at all
// is a failure, not a pass; so is a missing report.
//
//   node scripts/test-summary.js <jest.json> [<playwright.json>]
const fs = require('fs');

const [jestFile, playwrightFile] = process.argv.slice(2);

let passed = 0;
let failed = 0;
let skipped = 0;

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

if (playwrightFile !== undefined) {
  if (!fs.existsSync(playwrightFile)) {
    console.error('The end-to-end suite wrote no report');
    failed += 1;
  } else {
    // stats: expected (passed), unexpected (failed), flaky (passed on a retry), skipped. Errors
    // outside any test (global setup, a file that does not load) count as one failure each.
    const report = JSON.parse(fs.readFileSync(playwrightFile, 'utf8'));
    const stats = report.stats ?? {};
    const e2ePassed = (stats.expected ?? 0) + (stats.flaky ?? 0);
    const e2eFailed = (stats.unexpected ?? 0) + (report.errors ?? []).length;
    if (e2ePassed + e2eFailed === 0) {
      console.error('The end-to-end suite ran no test');
      failed += 1;
    }
    passed += e2ePassed;
    failed += e2eFailed;
    skipped += stats.skipped ?? 0;
  }
}

console.log(
  `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
