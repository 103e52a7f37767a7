// @ts-check

// This module shares the notifications plugin's database. Its tables start with
// `email_provider_digest_` and its migrations are recorded in `email_provider_digest_migrations`,
// so the notifications plugin's own migrations never see them.

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('email_provider_digest_entries', table => {
    // No apostrophes in comments: knex does not escape table comments on PostgreSQL.
    table.comment(
      'Notifications waiting for the next digest email of their user, and those of digests being sent',
    );
    table.increments('id').primary();
    table
      .string('user_ref', 255)
      .notNullable()
      .comment('The entity ref of the user the digest is for');
    table
      .string('notification_id', 255)
      .notNullable()
      .comment("The notification's id in the notifications plugin");
    table
      .string('digest_id', 36)
      .nullable()
      .comment(
        'The digest the entry is sent in; null while it waits. Its idempotency key is digest:<id>',
      );
    table
      .text('notification')
      .notNullable()
      .comment(
        'What the email shows, as JSON: id, origin, created, updated, title, description, link, severity, topic',
      );
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now())
      .comment('When the entry was added or last replaced');
    // An updated notification replaces its waiting entry; one already in a digest stays as sent.
    table.unique(['user_ref', 'notification_id'], {
      indexName: 'email_provider_digest_entries_waiting_idx',
      predicate: knex.whereNull('digest_id'),
    });
    table.index(
      ['user_ref', 'digest_id'],
      'email_provider_digest_entries_user_idx',
    );
    table.index(['digest_id'], 'email_provider_digest_entries_digest_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('email_provider_digest_entries');
};
