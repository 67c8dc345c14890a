import type { FastifyRequest } from 'fastify';
import { actorOf, type Principal } from '../auth/principal.js';
import type { Actor } from '../organizations/service.js';
import type { AppContext } from './context.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/** Who did it, for which request, at what time: what every mutating service records. */
export function requestActor(request: FastifyRequest, context: AppContext): Actor {
  return { actor: actorOf(request.principal), requestId: String(request.id), now: context.now() };
}
