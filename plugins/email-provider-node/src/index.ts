/**
 * Node.js library for other backend plugins that send email through the email-provider plugin.
 * `emailServiceRef` arrives with the delivery work (see the README).
 *
 * @packageDocumentation
 */

export {};
