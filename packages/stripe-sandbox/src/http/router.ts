import type { IncomingHttpHeaders } from 'node:http';
import type { Sandbox } from '../sandbox.js';
import type { FormObject } from './form.js';

export interface RequestContext {
  sandbox: Sandbox;
  params: Record<string, string>;
  body: FormObject;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  requestId: string;
}

/** A non-JSON answer (hosted pages, PDFs, redirects). */
export class RawResponse {
  constructor(
    readonly status: number,
    readonly contentType: string,
    readonly body: string | Buffer,
    readonly headers: Record<string, string> = {},
  ) {}
}

export type Handler = (request: RequestContext) => unknown;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
  authenticated: boolean;
}

export class Router {
  private readonly routes: Route[] = [];

  /** Registers an API route: a Bearer secret key is required. */
  api(method: string, pattern: string, handler: Handler): void {
    this.routes.push({ method, segments: pattern.split('/'), handler, authenticated: true });
  }

  /** Registers a page a browser opens without an API key (hosted Checkout, Portal, invoices). */
  page(method: string, pattern: string, handler: Handler): void {
    this.routes.push({ method, segments: pattern.split('/'), handler, authenticated: false });
  }

  match(
    method: string,
    path: string,
  ): { handler: Handler; params: Record<string, string>; authenticated: boolean } | null {
    const parts = path.split('/');
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let matched = true;
      for (let index = 0; index < parts.length; index++) {
        const expected = route.segments[index] as string;
        const actual = decodeURIComponent(parts[index] as string);
        if (expected.startsWith(':')) params[expected.slice(1)] = actual;
        else if (expected !== actual) {
          matched = false;
          break;
        }
      }
      if (matched) return { handler: route.handler, params, authenticated: route.authenticated };
    }
    return null;
  }
}
