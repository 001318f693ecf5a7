-- Security events: logins (successful, failed, refused by the rate limit),
-- logouts, account changes. Time is RFC 3339 UTC.
CREATE TABLE web_event (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    username TEXT,
    event TEXT NOT NULL,
    detail TEXT,
    client TEXT
);
