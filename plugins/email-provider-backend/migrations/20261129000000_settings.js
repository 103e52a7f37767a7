// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('email_provider_settings', table => {
    table.comment(
      'The one active email provider: a single row, so two providers can never be active at once',
    );
    table.integer('id').primary().notNullable().comment('Always 1');
    table
      .string('provider', 32)
      .notNullable()
      .comment('none, smtp or microsoft365');
    table
      .integer('version')
      .notNullable()
      .comment('Increases with every save; compared with If-Match');
    table
      .text('settings')
      .nullable()
      .comment('The provider settings as JSON, without the secret');
    table
      .text('secret')
      .nullable()
      .comment('The password or client secret, AES-256-GCM encrypted');
    table.string('updated_by', 255).nullable();
    table.timestamp('updated_at', { useTz: true }).nullable();
    table.check('?? = 1', ['id'], 'email_provider_settings_single_row');
    table.check(
      "(?? = 'none' and ?? is null and ?? is null) or (?? in ('smtp', 'microsoft365') and ?? is not null and ?? is not null)",
      ['provider', 'settings', 'secret', 'provider', 'settings', 'secret'],
      'email_provider_settings_consistent',
    );
  });
  await knex('email_provider_settings').insert({
    id: 1,
    provider: 'none',
    version: 0,
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('email_provider_settings');
};
