// @ts-check

/**
 * Waits that concern one destination (a provider, its server or tenant, and the sender mailbox)
 * instead of all delivery: a Retry-After pause holds only claims for the destination that asked
 * for it, and messages that failed to reach a server are marked as waiting for it, so they can
 * all be made due at once when it answers again.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('email_provider_delivery_pacing', table => {
    table
      .string('paused_for', 600)
      .nullable()
      .comment(
        'The destination paused_until concerns; other destinations are not paused',
      );
    table
      .string('unreachable', 600)
      .nullable()
      .comment(
        'A destination messages wait for after failing to reach it; cleared when it answers',
      );
    table
      .timestamp('probe_after', { useTz: true })
      .nullable()
      .comment(
        'When one waiting message may next be tried early, to notice the destination is back',
      );
  });
  await knex.schema.alterTable('email_provider_messages', table => {
    table
      .string('waiting_on', 600)
      .nullable()
      .comment(
        'The destination the last attempt could not reach, while the message waits for it',
      );
    // Partial: most messages never wait, and sending them costs no index write.
    table.index(['waiting_on'], 'email_provider_messages_waiting', {
      predicate: knex.whereNotNull('waiting_on'),
    });
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('email_provider_messages', table => {
    table.dropIndex(['waiting_on'], 'email_provider_messages_waiting');
    table.dropColumn('waiting_on');
  });
  await knex.schema.alterTable('email_provider_delivery_pacing', table => {
    table.dropColumn('probe_after');
    table.dropColumn('unreachable');
    table.dropColumn('paused_for');
  });
};
