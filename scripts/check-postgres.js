// Exits 0 when the PostgreSQL server at the given connection string answers, 1 otherwise.
const { Client } = require('pg');

const client = new Client({
  connectionString: process.argv[2],
  connectionTimeoutMillis: 5000,
});
client
  .connect()
  .then(() => client.query('select 1'))
  .then(
    () => client.end().then(() => process.exit(0)),
    error => {
      console.error(`PostgreSQL is not reachable: ${error.message}`);
      process.exit(1);
    },
  );
