// @ts-check

/**
 * The suppression list of one-click unsubscribe: who asked, through the link in a message, to
 * get no more messages of one caller's list. The address is kept encrypted (for the admins'
 * list) and as a keyed hash (to look it up when a message is queued and sent), never in clear.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('email_provider_suppressions', table => {
    table.comment(
      'Addresses that unsubscribed from a list of a caller; the outbox does not send them its messages',
    );
    table.string('id', 36).primary().notNullable();
    table
      .string('caller', 255)
      .notNullable()
      .comment('The plugin whose messages the address no longer gets');
    table
      .string('list', 200)
      .notNullable()
      .comment('The unsubscribe.list of the message that carried the link');
    table
      .string('description', 200)
      .nullable()
      .comment('The unsubscribe.description of that message');
    table
      .string('recipient_hash', 64)
      .notNullable()
      .comment('HMAC-SHA-256 of the lower-cased address, truncated, base64url');
    table
      .text('address')
      .notNullable()
      .comment(
        'The address, encrypted with the encryption key and bound to caller and list',
      );
    table
      .string('source', 32)
      .notNullable()
      .comment('one-click (the mail client) or confirmation-page');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.unique(['caller', 'list', 'recipient_hash'], {
      indexName: 'email_provider_suppressions_entry',
    });
    table.index(['created_at', 'id'], 'email_provider_suppressions_newest');
    table.index(['recipient_hash'], 'email_provider_suppressions_address');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('email_provider_suppressions');
};
