/** Stripe's error envelope fields; `type` decides which error class the SDK raises. */
export type StripeErrorType =
  | 'api_error'
  | 'card_error'
  | 'idempotency_error'
  | 'invalid_request_error'
  | 'authentication_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
  payment_intent?: unknown;
}

/** A fault the sandbox answers with Stripe's error object and HTTP status. */
export class StripeError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
  }
}

const DOCS = 'https://docs.stripe.com/error-codes';

function invalid(message: string, code?: string, param?: string, status = 400): StripeError {
  const body: StripeErrorBody = { type: 'invalid_request_error', message };
  if (code) {
    body.code = code;
    body.doc_url = `${DOCS}/${code.replace(/_/g, '-')}`;
  }
  if (param) body.param = param;
  return new StripeError(status, body);
}

export const errors = {
  unknownParameter: (param: string) =>
    invalid(`Received unknown parameter: ${param}`, 'parameter_unknown', param),
  missingParameter: (param: string) =>
    invalid(`Missing required param: ${param}.`, 'parameter_missing', param),
  invalidInteger: (param: string, value: string) =>
    invalid(`Invalid integer: ${value}`, 'parameter_invalid_integer', param),
  invalidEmpty: (param: string) =>
    invalid(
      `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset.`,
      'parameter_invalid_empty',
      param,
    ),
  invalidValue: (param: string, message: string) => invalid(message, undefined, param),
  invalidRequest: (message: string, param?: string) => invalid(message, undefined, param),
  resourceMissing: (kind: string, id: string, param = 'id') =>
    invalid(`No such ${kind}: '${id}'`, 'resource_missing', param, 404),
  unrecognizedUrl: (method: string, path: string) =>
    invalid(
      `Unrecognized request URL (${method}: ${path}). Please see https://docs.stripe.com/api or we can help at https://support.stripe.com/.`,
      undefined,
      undefined,
      404,
    ),
  missingApiKey: () =>
    invalid(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      undefined,
      undefined,
      401,
    ),
  invalidApiKey: (key: string) =>
    invalid(`Invalid API Key provided: ${maskKey(key)}`, undefined, undefined, 401),
  idempotencyMismatch: (key: string) =>
    new StripeError(400, {
      type: 'idempotency_error',
      message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
    }),
  cardDeclined: (message: string, declineCode: string, paymentIntent?: unknown) =>
    new StripeError(402, {
      type: 'card_error',
      code: 'card_declined',
      decline_code: declineCode,
      message,
      doc_url: `${DOCS}/card-declined`,
      ...(paymentIntent ? { payment_intent: paymentIntent } : {}),
    }),
  alreadyExists: (message: string, param: string) => invalid(message, 'resource_already_exists', param),
  stateConflict: (message: string, param?: string) => invalid(message, undefined, param),
};

/** Shows only the key's prefix and last four characters, as Stripe does, so secrets never echo back. */
export function maskKey(key: string): string {
  if (key.length <= 12) return '*'.repeat(key.length);
  return `${key.slice(0, 8)}${'*'.repeat(Math.max(4, key.length - 12))}${key.slice(-4)}`;
}
