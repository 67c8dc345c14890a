/**
 * A fault with a stable machine-readable `code`. Expected outcomes (a denied check, insufficient
 * credits) are response values, never AppErrors.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, id: string) =>
  new AppError('not_found', 404, `${what} "${id}" not found`);

export const conflict = (code: string, message: string) => new AppError(code, 409, message);

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(code, 400, message, details);
