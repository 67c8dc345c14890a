import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { API_VERSION, type Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import { errors, StripeError } from './errors.js';
import { expandPaths } from './expand.js';
import { type FormObject, parseForm } from './form.js';
import { IdempotencyCache } from './idempotency.js';
import { RawResponse, type Router } from './router.js';

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function decodeBody(request: IncomingMessage, text: string, query: string): FormObject {
  const type = String(request.headers['content-type'] ?? '');
  if (request.method === 'GET' || request.method === 'DELETE' || text.length === 0) return parseForm(query);
  if (type.includes('application/json')) {
    try {
      return JSON.parse(text) as FormObject;
    } catch {
      throw errors.invalidRequest('The request body is not valid JSON.');
    }
  }
  return parseForm(text);
}

/** Accepts any test-mode secret or restricted key; sandbox sessions may also present their own tokens. */
function authenticate(request: IncomingMessage, path: string): string {
  const header = String(request.headers.authorization ?? '');
  let key = '';
  if (header.startsWith('Bearer ')) key = header.slice(7).trim();
  else if (header.startsWith('Basic '))
    key = Buffer.from(header.slice(6), 'base64').toString().split(':')[0] ?? '';
  if (key === '') throw errors.missingApiKey();
  const meterSession = path.startsWith('/v2/billing/meter_event_stream') && key.startsWith('mes_');
  if (!/^(sk|rk)_test_\w+/.test(key) && !meterSession) throw errors.invalidApiKey(key);
  return key;
}

function send(response: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  response.writeHead(status, headers);
  response.end(body);
}

/** The HTTP front: authentication, body decoding, idempotency, expansion and Stripe's error envelope. */
export function createSandboxServer(sandbox: Sandbox, router: Router): Server {
  const idempotent = new IdempotencyCache(sandbox.store);

  return createServer(async (request, response) => {
    const requestId = newId('req', 14);
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const method = request.method ?? 'GET';
    const jsonHeaders = {
      'content-type': 'application/json',
      'request-id': requestId,
      'stripe-version': String(request.headers['stripe-version'] ?? API_VERSION),
    };
    try {
      const text = await readBody(request);
      const route = router.match(method, url.pathname);
      if (!route) throw errors.unrecognizedUrl(method, url.pathname);
      const apiKey = route.authenticated ? authenticate(request, url.pathname) : '';
      const body = decodeBody(request, text, url.search.slice(1));
      const idempotencyKey =
        method === 'POST' ? (request.headers['idempotency-key'] as string | undefined) : undefined;
      const scopedKey = idempotencyKey ? `${apiKey.slice(-12)}:${idempotencyKey}` : null;
      const fingerprint = `${method} ${url.pathname} ${JSON.stringify(body)}`;
      if (scopedKey) {
        const previous = idempotent.get(scopedKey);
        if (previous) {
          if (previous.fingerprint !== fingerprint)
            throw errors.idempotencyMismatch(idempotencyKey as string);
          send(response, previous.status, previous.body, {
            ...jsonHeaders,
            'idempotent-replayed': 'true',
            'original-request': requestId,
          });
          return;
        }
      }
      sandbox.currentRequest = { id: requestId, idempotencyKey: idempotencyKey ?? null };
      let result: unknown;
      try {
        result = await route.handler({
          sandbox,
          params: route.params,
          body,
          method,
          path: url.pathname,
          headers: request.headers,
          requestId,
        });
      } catch (error) {
        if (!(error instanceof StripeError) || !scopedKey) throw error;
        const errorBody = JSON.stringify({ error: error.body }, null, 2);
        idempotent.set(scopedKey, {
          fingerprint,
          status: error.status,
          body: errorBody,
          storedAt: Date.now(),
        });
        throw error;
      } finally {
        sandbox.currentRequest = null;
        sandbox.store.flush();
      }
      if (result instanceof RawResponse) {
        response.writeHead(result.status, { 'content-type': result.contentType, ...result.headers });
        response.end(result.body);
        return;
      }
      const expand = Array.isArray(body.expand) ? (body.expand as string[]) : [];
      const payload = JSON.stringify(expandPaths(result, expand, sandbox.store), null, 2);
      if (scopedKey) {
        idempotent.set(scopedKey, { fingerprint, status: 200, body: payload, storedAt: Date.now() });
        sandbox.store.flush();
      }
      send(response, 200, payload, jsonHeaders);
    } catch (error) {
      if (error instanceof StripeError) {
        send(response, error.status, JSON.stringify({ error: error.body }, null, 2), jsonHeaders);
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      send(response, 500, JSON.stringify({ error: { type: 'api_error', message } }, null, 2), jsonHeaders);
    }
  });
}
