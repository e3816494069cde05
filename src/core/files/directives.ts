/** The directives a file's leading comments may hold (`surql/surql-directives.ts` finds them). */

/** The directive, in a file's leading comments, that runs it statement by statement. */
export const NO_TRANSACTION_DIRECTIVE = 'migrate:no-transaction';

/** A file's own leave to delete data wholesale (see `DataLossError`). */
export const ALLOW_DATA_LOSS_DIRECTIVE = 'migrate:allow-data-loss';

/** A file's own leave to leave rows its new definitions refuse (see `InvalidRowsError`). */
export const ALLOW_INVALID_ROWS_DIRECTIVE = 'migrate:allow-invalid-rows';
