// @ts-check

/**
 * PostgreSQL compresses a large text value before it stores it out of line. A message's payload
 * is mostly base64 attachments, which do not compress, and it lives only until the message is
 * sent: compressing it cost PostgreSQL more CPU than anything else about a 1 MB attachment (35 ms
 * of 65 per message stored). EXTERNAL stores it out of line as it is. Only new rows are affected;
 * SQLite has no such setting.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  if (knex.client.config.client === 'pg') {
    await knex.raw('ALTER TABLE ?? ALTER COLUMN ?? SET STORAGE EXTERNAL', [
      'email_provider_messages',
      'payload',
    ]);
  }
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.config.client === 'pg') {
    await knex.raw('ALTER TABLE ?? ALTER COLUMN ?? SET STORAGE EXTENDED', [
      'email_provider_messages',
      'payload',
    ]);
  }
};
