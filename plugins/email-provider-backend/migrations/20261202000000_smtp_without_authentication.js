// @ts-check

// An SMTP relay that admits the portal by its address has no password: the row may hold SMTP
// settings without a secret. Microsoft 365 always has one (client secret or certificate).

const TABLE = 'email_provider_settings';
const CONSTRAINT = 'email_provider_settings_consistent';
const ALLOWS_SMTP_WITHOUT_SECRET =
  "(provider = 'none' and settings is null and secret is null) or (provider = 'smtp' and settings is not null) or (provider = 'microsoft365' and settings is not null and secret is not null)";
const NEEDS_A_SECRET =
  "(provider = 'none' and settings is null and secret is null) or (provider in ('smtp', 'microsoft365') and settings is not null and secret is not null)";

/**
 * Replaces the row rule. PostgreSQL changes a constraint in place; SQLite cannot, so the table
 * is rebuilt under the new rule and its one row copied over.
 *
 * @param {import('knex').Knex} knex
 * @param {string} rule
 */
async function replaceRule(knex, rule) {
  if (!knex.client.config.client.includes('sqlite')) {
    await knex.raw('alter table ?? drop constraint ??', [TABLE, CONSTRAINT]);
    await knex.raw(`alter table ?? add constraint ?? check (${rule})`, [
      TABLE,
      CONSTRAINT,
    ]);
    return;
  }
  const rebuilt = `${TABLE}_rebuilt`;
  await knex.schema.createTable(rebuilt, table => {
    table.integer('id').primary().notNullable();
    table.string('provider', 32).notNullable();
    table.integer('version').notNullable();
    table.text('settings').nullable();
    table.text('secret').nullable();
    table.string('updated_by', 255).nullable();
    table.timestamp('updated_at', { useTz: true }).nullable();
    table.check('id = 1', [], 'email_provider_settings_single_row');
    table.check(rule, [], CONSTRAINT);
  });
  await knex.raw(`insert into ?? select * from ??`, [rebuilt, TABLE]);
  await knex.schema.dropTable(TABLE);
  await knex.schema.renameTable(rebuilt, TABLE);
}

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await replaceRule(knex, ALLOWS_SMTP_WITHOUT_SECRET);
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  // SMTP settings without a secret cannot be kept under the old rule: they become none.
  await knex(TABLE)
    .where({ provider: 'smtp' })
    .whereNull('secret')
    .update({ provider: 'none', settings: null });
  await replaceRule(knex, NEEDS_A_SECRET);
};
