-- Core of the bridge: appservice transactions and events, spaces, senders, contacts, conversations.
-- The bot and provisioning layers add their own columns and tables in their own migrations.

CREATE TABLE kv (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Transaction IDs the homeserver has delivered; a replay is acknowledged without effect.
CREATE TABLE as_transactions (
  txn_id text PRIMARY KEY,
  event_count integer NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- Every event the homeserver pushed, stored before the transaction is acknowledged, then handled
-- in order per room by the event worker.
CREATE TABLE matrix_events (
  id bigserial PRIMARY KEY,
  event_id text NOT NULL UNIQUE,
  room_id text NOT NULL,
  type text NOT NULL,
  sender text NOT NULL,
  state_key text,
  content jsonb NOT NULL,
  event jsonb NOT NULL,
  origin_server_ts bigint,
  received_at timestamptz NOT NULL DEFAULT now(),
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  last_error text,
  handled_at timestamptz
);
CREATE INDEX matrix_events_pending ON matrix_events (room_id, id) WHERE state = 'pending';

CREATE TABLE spaces (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  space_room_id text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A business number on one channel. address is normalized: E.164 (+15551234567) for longcodes and
-- WhatsApp numbers, bare digits for SMS short codes.
CREATE TABLE senders (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  channel text NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
  address text NOT NULL,
  address_kind text NOT NULL CHECK (address_kind IN ('e164', 'shortcode')),
  provider text NOT NULL,
  -- Provider credentials and settings; never returned by the API nor logged.
  credentials jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel, address)
);
CREATE INDEX senders_space ON senders (space_id);

-- An end user on one channel. address is E.164 where there is a phone number, or the provider's
-- opaque id (WhatsApp business-scoped user id) where there is none.
CREATE TABLE contacts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  channel text NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
  address text NOT NULL,
  address_kind text NOT NULL CHECK (address_kind IN ('e164', 'shortcode', 'wa-user-id')),
  profile_name text,
  ghost_localpart text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (space_id, channel, address)
);

-- One episode with a contact on one sender, in one Matrix room. The lifecycle state is the bot's;
-- the bridge only cares whether the conversation is archived (the next message opens a new room).
CREATE TABLE conversations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  sender_id uuid NOT NULL REFERENCES senders (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  room_id text UNIQUE,
  previous_conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
  state text NOT NULL DEFAULT 'bot',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_activity_at timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz
);
CREATE UNIQUE INDEX conversations_open ON conversations (sender_id, contact_id) WHERE archived_at IS NULL;
CREATE INDEX conversations_space_state ON conversations (space_id, state);
