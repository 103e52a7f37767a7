// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('email_provider_messages', table => {
    table.comment(
      'The outbox: every message other plugins asked to send, its delivery state and, until it is sent, its content',
    );
    table.string('id', 36).primary().notNullable();
    table
      .string('caller', 255)
      .notNullable()
      .comment('The plugin that sent it');
    table.string('idempotency_key', 200).nullable();
    table.string('category', 100).nullable();
    table.string('subject', 1000).notNullable();
    table.integer('recipients_count').notNullable();
    table.bigInteger('size_bytes').notNullable();
    table
      .string('message_id', 255)
      .notNullable()
      .comment('The Message-ID header, the same on every attempt');
    table
      .string('status', 16)
      .notNullable()
      .comment('queued, sending, sent or failed');
    table
      .text('payload', 'longtext')
      .nullable()
      .comment('The request as JSON; deleted once sent');
    table.integer('attempts').notNullable().defaultTo(0);
    table.timestamp('next_attempt_at', { useTz: true }).notNullable();
    table
      .timestamp('expires_at', { useTz: true })
      .notNullable()
      .comment('A message still queued then is given up');
    table
      .timestamp('last_attempt_at', { useTz: true })
      .nullable()
      .comment('When the last attempt started, for pacing');
    table
      .string('claimed_by', 64)
      .nullable()
      .comment('The worker sending it now');
    table
      .timestamp('claimed_until', { useTz: true })
      .nullable()
      .comment(
        'After this the claim lapses, so a crashed worker does not strand the message',
      );
    table.string('provider', 32).nullable();
    table.string('last_error_code', 64).nullable();
    table.text('last_error_message').nullable();
    table.text('last_provider_reply').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.timestamp('sent_at', { useTz: true }).nullable();
    table.unique(['caller', 'idempotency_key'], {
      indexName: 'email_provider_messages_idempotency',
    });
    table.index(['status', 'next_attempt_at'], 'email_provider_messages_due');
    table.index(['created_at'], 'email_provider_messages_created');
    table.index(['last_attempt_at'], 'email_provider_messages_attempted');
  });

  await knex.schema.createTable('email_provider_delivery_pacing', table => {
    table.comment(
      'One row whose lock serializes claims across replicas, so provider limits hold for the whole portal',
    );
    table.integer('id').primary().notNullable();
    table
      .timestamp('paused_until', { useTz: true })
      .nullable()
      .comment('Set when the provider asked to slow down (Retry-After)');
  });
  await knex('email_provider_delivery_pacing').insert({ id: 1 });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('email_provider_delivery_pacing');
  await knex.schema.dropTable('email_provider_messages');
};
