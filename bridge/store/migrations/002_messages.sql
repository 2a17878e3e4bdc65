-- Messages both ways: the inbox (carrier → Matrix), the outbox (Matrix → carrier), delivery
-- statuses, the map between Matrix events and provider messages, and SMS opt-outs.

-- SMS keyword replies of a space ({help, stop, start}); an unset key uses the built-in text.
ALTER TABLE spaces ADD COLUMN sms_replies jsonb NOT NULL DEFAULT '{}';

-- The display name last set on the contact's ghost: NULL until the ghost is registered. A restart
-- costs no homeserver request for a ghost whose name has not changed.
ALTER TABLE contacts ADD COLUMN ghost_display_name text;

ALTER TABLE conversations
  -- The room is fully set up (space links, ghost joined, agents invited).
  ADD COLUMN room_ready boolean NOT NULL DEFAULT false,
  -- The customer's last message: free-form replies are allowed within the channel's care window.
  ADD COLUMN last_inbound_at timestamptz,
  -- The customer's message the business last marked as read (WhatsApp blue ticks), sent once.
  ADD COLUMN marked_read_provider_message_id text;

-- Inbound items, committed before the carrier's webhook is acknowledged. One customer's messages
-- (conversation_key = sender + contact address) are handled in order; customers in parallel.
CREATE TABLE inbox (
  id bigserial PRIMARY KEY,
  provider text NOT NULL,
  provider_message_id text NOT NULL,
  sender_id uuid NOT NULL REFERENCES senders (id) ON DELETE CASCADE,
  contact_address text NOT NULL,
  conversation_key text NOT NULL,
  -- The provider's parsed InboundMessage.
  message jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
  -- Media already uploaded (a retry does not upload again), the events posted, and what an SMS
  -- keyword did (opted-out, opted-in, help, none): decided once, reported idempotently.
  uploaded jsonb NOT NULL DEFAULT '{}',
  event_ids text[],
  keyword_effect text,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  last_error text,
  handled_at timestamptz,
  UNIQUE (provider, provider_message_id)
);
CREATE INDEX inbox_pending ON inbox (conversation_key, id) WHERE state = 'pending';

-- One row per message to a customer: an agent's Matrix event (event_id) or a message the bot
-- decided to send (cause). Both are unique, so replays and retries never send twice.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  room_id text NOT NULL,
  event_id text UNIQUE,
  cause text UNIQUE,
  author text NOT NULL,
  -- {text?, media?: {mxc, mimeType, filename?, size?, token}, interactive?, template?}
  content jsonb NOT NULL,
  -- The one confirmation text an opt-out allows.
  bypass_opt_out boolean NOT NULL DEFAULT false,
  -- The bot's copy of a bot-originated message in the room (agents see what the customer got).
  room_copy_event_id text,
  -- Parts already accepted by the provider (long texts are split): a retry resumes after them.
  parts_sent integer NOT NULL DEFAULT 0,
  provider_message_id text,
  segments integer,
  status text CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'undelivered', 'failed')),
  status_rank integer NOT NULL DEFAULT -1,
  -- {kind, code, message} of the last provider failure, or the reason it was refused.
  last_failure jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  last_error text,
  handled_at timestamptz,
  CHECK (event_id IS NOT NULL OR cause IS NOT NULL)
);
CREATE INDEX outbox_pending ON outbox (conversation_id, id) WHERE state = 'pending';

-- Matrix event ↔ provider message, both directions: statuses find the agent's event, replies find
-- the quoted event, read receipts find the customer's message.
CREATE TABLE message_map (
  provider text NOT NULL,
  provider_message_id text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  room_id text NOT NULL,
  event_id text NOT NULL,
  outbox_id bigint REFERENCES outbox (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, provider_message_id)
);
CREATE INDEX message_map_event ON message_map (event_id);
CREATE INDEX message_map_inbound ON message_map (conversation_id, created_at) WHERE direction = 'in';

-- Delivery statuses from carriers. Unique per (message, status): Meta and Twilio redeliver. Applied
-- in order per provider message, forward only.
CREATE TABLE delivery_statuses (
  id bigserial PRIMARY KEY,
  provider text NOT NULL,
  provider_message_id text NOT NULL,
  status text NOT NULL,
  error jsonb,
  reported_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  last_error text,
  handled_at timestamptz,
  UNIQUE (provider, provider_message_id, status)
);
CREATE INDEX delivery_statuses_pending ON delivery_statuses (provider_message_id, id) WHERE state = 'pending';

-- SMS opt-out state per (sender, contact): carriers keep it per number only, short codes not at all.
CREATE TABLE opt_outs (
  sender_id uuid NOT NULL REFERENCES senders (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  opted_out boolean NOT NULL,
  keyword text NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sender_id, contact_id)
);

-- Unguessable links through which providers fetch an agent's media (the mxc content, proxied).
CREATE TABLE media_links (
  token text PRIMARY KEY,
  mxc text NOT NULL,
  mime_type text NOT NULL,
  filename text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
