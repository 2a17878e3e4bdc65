-- Handover: the queue, offers to agents, the lifecycle's bookkeeping, and the bot's durable work.

ALTER TABLE spaces
  -- Queued this long without an agent: the offline message (and form).
  ADD COLUMN max_wait_seconds integer NOT NULL DEFAULT 300 CHECK (max_wait_seconds > 0),
  -- Whether the bot collects name, email and message for the admins when nobody can answer.
  ADD COLUMN offline_form boolean NOT NULL DEFAULT false;

ALTER TABLE agents
  ADD COLUMN last_offered_at timestamptz,
  ADD COLUMN last_assigned_at timestamptz;

ALTER TABLE conversations
  ADD CONSTRAINT conversations_state_known
    CHECK (state IN ('bot', 'queued', 'assigned', 'resolved', 'archived')),
  -- The flow run of the current bot episode (its campaign's messages apply until it resolves).
  ADD COLUMN flow_run_id uuid REFERENCES flow_runs (id) ON DELETE SET NULL,
  -- Who had it last (assigned_agent_id is cleared on resolve): offered first when it reopens.
  ADD COLUMN last_agent_id uuid REFERENCES agents (id) ON DELETE SET NULL,
  ADD COLUMN state_changed_at timestamptz,
  -- When the current episode began (created, or reopened by the customer): resolution time.
  ADD COLUMN opened_at timestamptz,
  -- Queue order: requeued conversations (priority 1) first, then oldest first.
  ADD COLUMN queued_at timestamptz,
  ADD COLUMN queue_priority smallint NOT NULL DEFAULT 0,
  -- Counts the times it entered the queue; offers and notices of one wait share the number.
  ADD COLUMN queue_episode integer NOT NULL DEFAULT 0,
  ADD COLUMN handover_reason text,
  ADD COLUMN handover_skill text,
  ADD COLUMN offline_notified_at timestamptz,
  ADD COLUMN position_notified integer,
  ADD COLUMN position_notified_at timestamptz,
  ADD COLUMN position_updates integer NOT NULL DEFAULT 0,
  -- When the current agent got it, and first wrote to the customer (metrics).
  ADD COLUMN assigned_at timestamptz,
  ADD COLUMN first_response_at timestamptz,
  ADD COLUMN resolved_at timestamptz;
CREATE INDEX conversations_queue ON conversations (space_id, queue_priority DESC, queued_at, id)
  WHERE state = 'queued' AND archived_at IS NULL;

-- An offer of a conversation to an agent: an invitation into its room (or, for an agent already in
-- it, a mention). expires_at NULL: until someone takes it (broadcast).
CREATE TABLE offers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('queue', 'reopen', 'transfer')),
  policy text NOT NULL,
  episode integer NOT NULL,
  by_invite boolean NOT NULL DEFAULT true,
  offered_by text,
  state text NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'accepted', 'declined', 'expired', 'withdrawn')),
  offered_at timestamptz NOT NULL,
  expires_at timestamptz,
  closed_at timestamptz,
  close_reason text
);
CREATE UNIQUE INDEX offers_one_pending ON offers (conversation_id, agent_id) WHERE state = 'pending';
CREATE INDEX offers_agent_pending ON offers (agent_id) WHERE state = 'pending';
CREATE INDEX offers_expiring ON offers (expires_at) WHERE state = 'pending';
CREATE INDEX offers_conversation ON offers (conversation_id, episode);

-- Customer messages the bot has decided on: a retried message decides nothing twice.
CREATE TABLE bot_inbound (
  inbox_id bigint PRIMARY KEY REFERENCES inbox (id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  decision text NOT NULL,
  decided_at timestamptz NOT NULL DEFAULT now()
);

-- What the bot does outside Postgres after a decision commits (messages to the customer, notices,
-- room names, invitations withdrawn, routing, emails), in order per key, retried until done.
CREATE TABLE bot_effects (
  id bigserial PRIMARY KEY,
  key text NOT NULL,
  conversation_id uuid REFERENCES conversations (id) ON DELETE CASCADE,
  effect jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  last_error text,
  handled_at timestamptz
);
CREATE INDEX bot_effects_pending ON bot_effects (key, id) WHERE state = 'pending';
