-- Accounts and sessions of the web application (`netra serve`, docs/web.md).
-- These are not registry records: they are not exported and not part of the
-- audit chain; account changes and logins are logged in web_event.

-- One row per account. role: administrator, data_manager, investigator,
-- analyst. password_hash: an Argon2id PHC string (salt and parameters inside).
CREATE TABLE web_user (
    username TEXT PRIMARY KEY,
    display_name TEXT,
    role TEXT NOT NULL CHECK (role IN ('administrator', 'data_manager', 'investigator', 'analyst')),
    password_hash TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);

-- The sites a data manager edits or an investigator reads.
CREATE TABLE web_user_site (
    username TEXT NOT NULL REFERENCES web_user (username) ON DELETE CASCADE,
    site TEXT NOT NULL REFERENCES site (site),
    PRIMARY KEY (username, site)
);

-- Sessions. The cookie holds a random token; only its SHA-256 is stored, so
-- a copy of the database does not open live sessions. Times are Unix seconds.
CREATE TABLE web_session (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES web_user (username) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    client TEXT
);

CREATE INDEX web_session_user ON web_session (username);

-- Server settings (the key of the analysts' patient pseudonyms).
CREATE TABLE web_setting (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
