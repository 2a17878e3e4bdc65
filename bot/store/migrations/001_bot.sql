-- The bot's view of a space: its control room, live-chat settings and the people who work in it.

ALTER TABLE spaces
  ADD COLUMN control_room_id text UNIQUE,
  ADD COLUMN livechat_enabled boolean NOT NULL DEFAULT true,
  ADD COLUMN routing_policy text NOT NULL DEFAULT 'broadcast'
    CHECK (routing_policy IN ('broadcast', 'round-robin', 'least-busy')),
  ADD COLUMN offer_timeout_seconds integer NOT NULL DEFAULT 60 CHECK (offer_timeout_seconds > 0),
  ADD COLUMN max_chats_default integer NOT NULL DEFAULT 5 CHECK (max_chats_default > 0),
  -- Live-assistant messages (welcome, queued, assigned, offline, resolved, ...); unset keys use defaults.
  ADD COLUMN messages jsonb NOT NULL DEFAULT '{}';

-- chatbot: flows answer first; livechat: every inbound message goes straight to agents.
ALTER TABLE senders ADD COLUMN mode text NOT NULL DEFAULT 'chatbot' CHECK (mode IN ('chatbot', 'livechat'));

-- People with a seat in a space. user_id is a Matrix ID (local or federated).
CREATE TABLE agents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  user_id text NOT NULL,
  role text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'admin')),
  name text,
  email text,
  -- NULL: the space's max_chats_default applies.
  max_chats integer CHECK (max_chats > 0),
  online boolean NOT NULL DEFAULT false,
  online_changed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (space_id, user_id)
);
CREATE INDEX agents_user ON agents (user_id);

-- Direct-message rooms between the bot and one person.
CREATE TABLE bot_dm_rooms (
  room_id text PRIMARY KEY,
  user_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bot_dm_rooms_user ON bot_dm_rooms (user_id);
