-- Synapse needs its own database with C collation; the bridge uses the default one (livechat).
CREATE DATABASE synapse WITH OWNER livechat TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';
