// Prints the closing line CI reads, `N passed, N failed`, from a jest --json report. A run that
// executed no test at all is a failure, not a pass.
const fs = require('fs');

const file = process.argv[2];
if (!fs.existsSync(file)) {
  console.log('0 passed, 1 failed');
  console.error('The test runner wrote no report');
  process.exit(1);
}
const report = JSON.parse(fs.readFileSync(file, 'utf8'));
const failedSuites = report.testResults.filter(
  suite => suite.status === 'failed' && suite.assertionResults.length === 0,
).length;
const passed = report.numPassedTests;
const failed = report.numFailedTests + failedSuites;
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
