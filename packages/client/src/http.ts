/** A request to Tollgate that failed: `status` is 0 when no HTTP answer arrived (network, timeout). */
export class TollgateError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'TollgateError';
  }

  /** Worth retrying: no answer, rate limited, or a server fault. Client errors never are. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export interface HttpOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** Attempts after the first one, for retryable failures only. */
  retries: number;
  /** First backoff delay; doubles each attempt, with up to 50 % random jitter. */
  backoffMs: number;
  fetch: typeof fetch;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function attempt<T>(options: HttpOptions, method: string, path: string, body: unknown): Promise<T> {
  let response: Response;
  try {
    response = await options.fetch(new URL(path, options.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${options.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw new TollgateError(
      timedOut ? 'timeout' : 'unreachable',
      0,
      timedOut
        ? `Tollgate did not answer within ${options.timeoutMs} ms`
        : `Tollgate is unreachable: ${String(error)}`,
    );
  }
  const text = await response.text();
  const parsed = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const envelope = (parsed as { error?: { code?: string; message?: string; request_id?: string } })?.error;
    throw new TollgateError(
      envelope?.code ?? 'http_error',
      response.status,
      envelope?.message ?? `HTTP ${response.status}`,
      envelope?.request_id,
    );
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Sends one request, retrying retryable failures with exponential backoff. */
export async function request<T>(
  options: HttpOptions,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  for (let attemptIndex = 0; ; attemptIndex += 1) {
    try {
      return await attempt<T>(options, method, path, body);
    } catch (error) {
      if (!(error instanceof TollgateError) || !error.retryable || attemptIndex >= options.retries)
        throw error;
      const delay = options.backoffMs * 2 ** attemptIndex;
      await sleep(delay + Math.random() * delay * 0.5);
    }
  }
}
