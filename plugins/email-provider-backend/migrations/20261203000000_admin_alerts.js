// @ts-check

/**
 * The alerts admins were sent (a credential's expiry thresholds) and the incidents still open
 * (delivery failing). A row is inserted only if its key is absent, so however many replicas run
 * a check, and however often the backend restarts, an alert goes out once.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('email_provider_alerts', table => {
    table.comment(
      'Alerts sent to the email provider admins, so each is sent once across replicas and restarts',
    );
    table
      .string('key', 255)
      .primary()
      .notNullable()
      .comment(
        'What the alert is about, such as a credential and a threshold, or the open delivery incident',
      );
    table
      .timestamp('raised_at', { useTz: true })
      .notNullable()
      .comment('When the alert was sent, or the incident opened');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('email_provider_alerts');
};
