-- The contact profile agents work with: tags, internal notes, typed attributes; conversation
-- numbers admins refer to in commands (#12); an index for the space's statistics.

-- A conversation's number in its space, given by the bot when it first handles the conversation
-- (bot/spaces/numbers.ts). Short and stable, unlike a queue position.
ALTER TABLE spaces ADD COLUMN conversation_seq integer NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN number integer;
UPDATE conversations c SET number = n.rn
  FROM (SELECT id, row_number() OVER (PARTITION BY space_id ORDER BY created_at, id) AS rn FROM conversations) n
  WHERE n.id = c.id;
UPDATE spaces s SET conversation_seq = COALESCE((SELECT max(number) FROM conversations c WHERE c.space_id = s.id), 0);
CREATE UNIQUE INDEX conversations_number ON conversations (space_id, number);

-- Countries are ISO 3166-1 alpha-2 codes.
ALTER TABLE contact_attributes DROP CONSTRAINT contact_attributes_type_check;
ALTER TABLE contact_attributes ADD CONSTRAINT contact_attributes_type_check
  CHECK (type IN ('text', 'number', 'email', 'phone', 'date', 'boolean', 'country'));

-- The tags agents may put on contacts, per space, created by admins (command or API). Automatic
-- tags (new, campaign:<name>) need no entry.
CREATE TABLE space_tags (
  space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (space_id, name)
);

-- A contact's tags. source: automatic (set by the bot), manual (an agent in Matrix), api.
CREATE TABLE contact_tags (
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  name text NOT NULL,
  source text NOT NULL CHECK (source IN ('automatic', 'manual', 'api')),
  added_by text NOT NULL,
  added_at timestamptz NOT NULL,
  PRIMARY KEY (contact_id, name)
);
CREATE INDEX contact_tags_name ON contact_tags (name);

-- Internal notes about a contact: agents only, never sent to the customer. cause (the command's
-- event) makes a retried command store its note once.
CREATE TABLE contact_notes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
  author text NOT NULL,
  text text NOT NULL,
  created_at timestamptz NOT NULL,
  cause text UNIQUE
);
CREATE INDEX contact_notes_contact ON contact_notes (contact_id, created_at);

-- Statistics read the journey by type and time.
CREATE INDEX journey_type_at ON journey (type, at);
