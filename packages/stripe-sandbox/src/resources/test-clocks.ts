import type Stripe from 'stripe';
import { runDueWork } from '../billing/scheduler.js';
import { errors } from '../http/errors.js';
import { type ListParams, listParams, paginate } from '../http/list.js';
import { int, required, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { deletedObject } from './common.js';

type TestClock = Wire<Stripe.TestHelpers.TestClock>;

const LIFETIME_SECONDS = 30 * 86_400;

export function registerTestClocks(router: Router): void {
  router.api('POST', '/v1/test_helpers/test_clocks', ({ sandbox, body }) => {
    const input = validateParams<{ frozen_time: number; name?: string }>(
      { frozen_time: required(int()), name: str() },
      body,
    );
    const clock: TestClock = {
      id: newId('clock'),
      object: 'test_helpers.test_clock',
      created: sandbox.now(),
      deletes_after: sandbox.now() + LIFETIME_SECONDS,
      frozen_time: input.frozen_time,
      livemode: false,
      name: input.name ?? null,
      status: 'ready',
      status_details: {},
    };
    sandbox.store.insert('test_clocks', clock);
    sandbox.emit('test_helpers.test_clock.created', clock);
    return clock;
  });
  router.api('GET', '/v1/test_helpers/test_clocks/:id', ({ sandbox, params }) =>
    sandbox.store.require<TestClock>('test_clocks', params.id as string, 'test_helpers.test_clock'),
  );
  router.api('GET', '/v1/test_helpers/test_clocks', ({ sandbox, body }) =>
    paginate(
      sandbox.store.all<TestClock>('test_clocks'),
      validateParams<ListParams>(listParams, body),
      '/v1/test_helpers/test_clocks',
    ),
  );
  router.api('DELETE', '/v1/test_helpers/test_clocks/:id', ({ sandbox, params }) => {
    const clock = sandbox.store.require<TestClock>(
      'test_clocks',
      params.id as string,
      'test_helpers.test_clock',
    );
    sandbox.store.remove('test_clocks', clock.id);
    sandbox.emit('test_helpers.test_clock.deleted', clock);
    return deletedObject(clock.id, 'test_helpers.test_clock');
  });
  /**
   * Advances synchronously: by the time the response is sent every renewal, retry and webhook event up
   * to `frozen_time` has happened, so the clock is already `ready` (polling clients see that at once).
   */
  router.api('POST', '/v1/test_helpers/test_clocks/:id/advance', ({ sandbox, body, params }) => {
    const clock = sandbox.store.require<TestClock>(
      'test_clocks',
      params.id as string,
      'test_helpers.test_clock',
    );
    const input = validateParams<{ frozen_time: number }>({ frozen_time: required(int()) }, body);
    if (input.frozen_time < clock.frozen_time) {
      throw errors.invalidValue('frozen_time', 'The test clock cannot be moved backwards.');
    }
    sandbox.emit('test_helpers.test_clock.advancing', { ...clock, status: 'advancing' });
    runDueWork(sandbox, clock.id, input.frozen_time);
    const advanced = sandbox.store.require<TestClock>('test_clocks', clock.id, 'test_helpers.test_clock');
    sandbox.emit('test_helpers.test_clock.ready', advanced);
    return advanced;
  });
}
