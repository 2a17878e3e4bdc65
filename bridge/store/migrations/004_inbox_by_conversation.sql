-- "Is this the conversation's first message?" is asked for every inbound message: without this
-- index it walked the inbox from its oldest row, a cost growing with every message ever received.
CREATE INDEX inbox_conversation ON inbox (conversation_id, id);
