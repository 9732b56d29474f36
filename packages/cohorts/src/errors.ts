export type CohortsErrorCode = 'invalid_query';

/** One error type for @org/cohorts. */
export class CohortsError extends Error {
  constructor(
    readonly code: CohortsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CohortsError';
  }
}
