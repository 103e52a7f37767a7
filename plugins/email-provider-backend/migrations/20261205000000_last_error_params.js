// @ts-check

/**
 * The params of the last error's sentence (host, port, reply code, AADSTS number...), as JSON,
 * so the delivery log can say the failure in the admin's language. Rows from before have none,
 * and the page shows their English message.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('email_provider_messages', table => {
    table
      .text('last_error_params')
      .nullable()
      .comment(
        "JSON object of the values the last error's sentence is made from; never a secret",
      );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('email_provider_messages', table => {
    table.dropColumn('last_error_params');
  });
};
