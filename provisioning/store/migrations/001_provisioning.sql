-- Provisioning: seat limits, agent invitations and the durable queue of their emails.

ALTER TABLE spaces ADD COLUMN seat_limit integer NOT NULL DEFAULT 0 CHECK (seat_limit >= 0);

-- The agent a conversation is assigned to. Routing sets it; the API counts open chats from it.
ALTER TABLE conversations ADD COLUMN IF NOT EXISTS assigned_agent_id uuid REFERENCES agents (id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS conversations_assigned_agent ON conversations (assigned_agent_id) WHERE archived_at IS NULL;

-- One invitation of one person to one space. The link's token is random and stored only as its
-- SHA-256 hash; 'expired' is not a stored state but pending past expires_at.
CREATE TABLE invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  email text NOT NULL,
  name text NOT NULL,
  phone text,
  role text NOT NULL CHECK (role IN ('agent', 'admin')),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'revoked')),
  token_hash bytea NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  email_status text NOT NULL DEFAULT 'queued' CHECK (email_status IN ('queued', 'sent', 'retrying', 'failed')),
  email_error text,
  email_attempts integer NOT NULL DEFAULT 0,
  email_sent_at timestamptz,
  agent_id uuid REFERENCES agents (id) ON DELETE SET NULL,
  accepted_user_id text,
  accepted_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_space ON invitations (space_id, status);
CREATE INDEX invitations_email ON invitations (space_id, lower(email));

-- Emails to send, after the invitation rows commit (an ordered queue per invitation). The link's
-- token is kept encrypted only until the email is sent, then erased.
CREATE TABLE invitation_emails (
  id bigserial PRIMARY KEY,
  invitation_id uuid NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL,
  token_sealed text,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  last_error text,
  handled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitation_emails_pending ON invitation_emails (invitation_id, id) WHERE state = 'pending';
