import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/database.js';
import type { AppContext } from './context.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by authentication for a request with an organization session token, when row-level security
     * is available: that organization's view of the database. Null for every other caller.
     */
    organizationDb: Database | null;
  }
}

/**
 * The database a handler must use: the session's organization's view under row-level security, or
 * the whole database for a secret key. Routes an organization session may call read through this (or
 * `requestContext`), never `context.db`: test/security/row-level-security.test.ts checks the sources.
 */
export function requestDb(request: FastifyRequest, context: AppContext): Database {
  return request.organizationDb ?? context.db;
}

/** `context` with `requestDb` as its database, for services that take the whole context. */
export function requestContext(request: FastifyRequest, context: AppContext): AppContext {
  const organizationDb = request.organizationDb;
  return organizationDb ? { ...context, db: organizationDb } : context;
}

/**
 * A read that may lag (history, lists): on the read replica for a secret key (`context.reads`); an
 * organization session reads its own view on the primary, since the replica's connections do not take
 * the tenant role and row-level security must hold for every session request.
 */
export function readThatMayLag<T>(
  request: FastifyRequest,
  context: AppContext,
  work: (db: Database) => Promise<T>,
): Promise<T> {
  return request.organizationDb ? work(request.organizationDb) : context.reads.read(work);
}
