-- Campaigns (chatbot flows on a sender, started by keywords), their runs in conversations, what
-- they learn about contacts (attributes), and the contacts' journey.

-- A campaign belongs to one sender. Deleting one only hides it (deleted_at): conversations that
-- started on it keep running on their revision.
CREATE TABLE campaigns (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  sender_id uuid NOT NULL REFERENCES senders (id) ON DELETE CASCADE,
  name text NOT NULL,
  -- As written; matching folds case, accents and punctuation (bot/flows/keywords.ts).
  keywords text[] NOT NULL,
  revision integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX campaigns_sender ON campaigns (sender_id) WHERE deleted_at IS NULL;

-- Every version of a campaign's flow; a run is pinned to the revision it started on.
CREATE TABLE campaign_revisions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  revision integer NOT NULL,
  -- The definition as given (validated when stored); live-assistant messages of this campaign.
  flow jsonb NOT NULL,
  messages jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (campaign_id, revision)
);

-- The campaign that answers a chatbot sender's messages that match no keyword.
ALTER TABLE spaces ADD COLUMN default_campaign_id uuid REFERENCES campaigns (id) ON DELETE SET NULL;

-- One run of a flow in a conversation: a campaign's (pinned to a revision) or the built-in
-- offline form. state is the engine's FlowState.
CREATE TABLE flow_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('campaign', 'offline-form')),
  campaign_id uuid REFERENCES campaigns (id) ON DELETE SET NULL,
  revision_id uuid REFERENCES campaign_revisions (id) ON DELETE SET NULL,
  state jsonb NOT NULL,
  -- waiting: at a menu or question; ended / handover: finished; cancelled: an agent took over.
  status text NOT NULL CHECK (status IN ('waiting', 'ended', 'handover', 'cancelled')),
  -- Answers collected by the offline form (it emails them).
  answers jsonb NOT NULL DEFAULT '{}',
  started_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX flow_runs_conversation ON flow_runs (conversation_id, started_at DESC);

-- What is known about a contact, by key: collected by flows, set by agents or imported.
-- value is text; type says how to read it. set_by: 'bot', 'customer', or a Matrix ID.
CREATE TABLE contact_attributes (
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  key text NOT NULL,
  value text NOT NULL,
  type text NOT NULL DEFAULT 'text' CHECK (type IN ('text', 'number', 'email', 'phone', 'date', 'boolean')),
  set_by text NOT NULL,
  set_at timestamptz NOT NULL,
  PRIMARY KEY (contact_id, key)
);

-- The contact's event log: transitions, handovers, offers, assignments, campaigns, attributes…
-- actor: a Matrix ID, or 'bot', 'customer', 'system'. cause makes a retried step record once.
CREATE TABLE journey (
  id bigserial PRIMARY KEY,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
  type text NOT NULL,
  actor text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}',
  at timestamptz NOT NULL,
  cause text UNIQUE
);
CREATE INDEX journey_contact ON journey (contact_id, at, id);
CREATE INDEX journey_conversation ON journey (conversation_id, id);
