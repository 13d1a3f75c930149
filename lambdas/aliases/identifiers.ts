/** The shapes of the IDs the marketplace gives: checked by the domain, the API's schemas and its OpenAPI document alike. */

/** A store ID: 1-64 letters, digits, `.`, `_` or `-`, starting with a letter or digit. */
export const STORE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** An order ID: 1-128 letters, digits, `.`, `_`, `:` or `-`, starting with a letter or digit. */
export const ORDER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
