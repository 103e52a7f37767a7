// @ts-check

/**
 * When a message last failed an attempt, kept after a later success, so the delivery health
 * shows the last failure even once the message was retried and sent.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('email_provider_messages', table => {
    table.timestamp('last_failed_at', { useTz: true }).nullable();
    table.index(['last_failed_at'], 'email_provider_messages_failed');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('email_provider_messages', table => {
    table.dropIndex(['last_failed_at'], 'email_provider_messages_failed');
    table.dropColumn('last_failed_at');
  });
};
