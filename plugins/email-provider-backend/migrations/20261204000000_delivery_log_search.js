// @ts-check

/**
 * The delivery log at a busy portal's scale, and finding one person's mail in it.
 *
 * - Recipients are kept as a keyed hash of each normalised address (HMAC with a key derived from
 *   the encryption key), never in clear: an exact address finds its messages, and the log does
 *   not become an address book.
 * - Indexes that match the log's filters in its order (newest first, keyset pagination on
 *   created_at and id). The failed filter gets a partial index, which sending never writes to.
 * - Subject words on PostgreSQL through a stored full-text vector and its index ('simple': no
 *   stemming, any language).
 * - Hourly counts of hours that are settled (nothing in them waits any more), so the chart of 30
 *   days reads a few hundred rows instead of a million.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  const isPostgres = knex.client.config.client === 'pg';

  await knex.schema.createTable('email_provider_message_recipients', table => {
    table.comment(
      'Who each outbox message went to, as keyed hashes of the addresses, so an admin can find the mail to one address',
    );
    table
      .string('message_id', 36)
      .notNullable()
      .references('id')
      .inTable('email_provider_messages')
      .onDelete('CASCADE');
    table
      .string('recipient_hash', 64)
      .notNullable()
      .comment('HMAC-SHA-256 of the lower-cased address, truncated, base64url');
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .comment(
        "The message's, so the newest messages to an address come first",
      );
    table.primary(['message_id', 'recipient_hash']);
    table.index(
      ['recipient_hash', 'created_at'],
      'email_provider_message_recipients_hash',
    );
  });

  await knex.schema.alterTable('email_provider_messages', table => {
    table.dropIndex(['created_at'], 'email_provider_messages_created');
    table.index(['created_at', 'id'], 'email_provider_messages_newest');
    table.index(
      ['caller', 'created_at', 'id'],
      'email_provider_messages_caller',
    );
    table.index(
      ['category', 'created_at', 'id'],
      'email_provider_messages_category',
      { predicate: knex.whereNotNull('category') },
    );
    table.index(
      ['created_at', 'id', 'last_error_code'],
      'email_provider_messages_failed_log',
      { predicate: knex.whereRaw("status = 'failed'") },
    );
  });
  if (isPostgres) {
    // Stored, so neither a search's recheck nor its count parses every subject again.
    await knex.raw(
      `ALTER TABLE email_provider_messages ADD COLUMN subject_words tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, subject)) STORED`,
    );
    await knex.raw(
      `CREATE INDEX email_provider_messages_subject_words ON email_provider_messages USING gin (subject_words)`,
    );
  }

  await knex.schema.createTable('email_provider_delivery_hours', table => {
    table.comment(
      'Messages per hour of creation, for hours where none waits any more; the chart adds the recent hours live',
    );
    table
      .bigInteger('hour')
      .primary()
      .notNullable()
      .comment('Whole hours since 1970-01-01T00:00Z');
    table.integer('sent').notNullable();
    table.integer('failed').notNullable();
    table
      .text('failed_by_code')
      .notNullable()
      .comment('JSON: failed messages by the code of their last error');
    table.timestamp('computed_at', { useTz: true }).notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('email_provider_delivery_hours');
  if (knex.client.config.client === 'pg') {
    await knex.raw('DROP INDEX email_provider_messages_subject_words');
    await knex.raw(
      'ALTER TABLE email_provider_messages DROP COLUMN subject_words',
    );
  }
  await knex.schema.alterTable('email_provider_messages', table => {
    table.dropIndex([], 'email_provider_messages_failed_log');
    table.dropIndex([], 'email_provider_messages_category');
    table.dropIndex([], 'email_provider_messages_caller');
    table.dropIndex([], 'email_provider_messages_newest');
    table.index(['created_at'], 'email_provider_messages_created');
  });
  await knex.schema.dropTable('email_provider_message_recipients');
};
