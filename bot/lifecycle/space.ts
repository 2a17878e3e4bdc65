import type { Queryable } from '../../bridge/store/db.ts';
import type { RoutingPolicy } from '../routing/plan.ts';

/** A space's live-chat settings, as the lifecycle and routing read them. */
export interface LivechatSettings {
  id: string;
  name: string;
  livechatEnabled: boolean;
  policy: RoutingPolicy;
  offerTimeoutSeconds: number;
  maxWaitSeconds: number;
  maxChatsDefault: number;
  offlineForm: boolean;
  spaceRoomId: string | null;
  controlRoomId: string | null;
  defaultCampaignId: string | null;
}

export async function livechatSettings(db: Queryable, spaceId: string): Promise<LivechatSettings> {
  const result = await db.query<{
    id: string;
    name: string;
    livechat_enabled: boolean;
    routing_policy: RoutingPolicy;
    offer_timeout_seconds: number;
    max_wait_seconds: number;
    max_chats_default: number;
    offline_form: boolean;
    space_room_id: string | null;
    control_room_id: string | null;
    default_campaign_id: string | null;
  }>('SELECT * FROM spaces WHERE id = $1', [spaceId]);
  const r = result.rows[0];
  if (!r) throw new Error(`space ${spaceId} does not exist`);
  return {
    id: r.id,
    name: r.name,
    livechatEnabled: r.livechat_enabled,
    policy: r.routing_policy,
    offerTimeoutSeconds: r.offer_timeout_seconds,
    maxWaitSeconds: r.max_wait_seconds,
    maxChatsDefault: r.max_chats_default,
    offlineForm: r.offline_form,
    spaceRoomId: r.space_room_id,
    controlRoomId: r.control_room_id,
    defaultCampaignId: r.default_campaign_id,
  };
}

/** Online agents of the space who could take a conversation now (capacity left). */
export async function agentsAvailable(db: Queryable, spaceId: string): Promise<number> {
  const result = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM agents a JOIN spaces s ON s.id = a.space_id
     WHERE a.space_id = $1 AND a.online
       AND (SELECT count(*) FROM conversations c WHERE c.assigned_agent_id = a.id AND c.state = 'assigned'
            AND c.archived_at IS NULL) < COALESCE(a.max_chats, s.max_chats_default)`,
    [spaceId],
  );
  return result.rows[0]!.n;
}

export async function agentsOnline(db: Queryable, spaceId: string): Promise<number> {
  const result = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM agents WHERE space_id = $1 AND online',
    [spaceId],
  );
  return result.rows[0]!.n;
}
