import { errors } from '../errors.ts';
import { countSeats } from '../store/seats.ts';
import { COMMON_ERRORS, notFound, spaceParams } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { defineRoute, type AnyRoute } from './route.ts';
import { seatsSchema } from './spaces.schemas.ts';

export function seatRoutes(deps: ApiDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/spaces/{id}/seats',
      operationId: 'getSeats',
      tag: 'seats',
      summary: "A space's seat counter",
      description: 'Change the limit with PATCH /spaces/{id} {seats}.',
      params: spaceParams,
      status: 200,
      response: seatsSchema,
      responseDescription: 'limit, used (agents and admins), pending (open invitations), available.',
      errors: [...COMMON_ERRORS, notFound('The space')],
      async handler({ params }) {
        const seats = await countSeats(deps.db, params.id, deps.clock.now());
        if (!seats) throw errors.notFound(`Space ${params.id}`);
        return seats;
      },
    }),
  ];
}
