-- onair reference service, schema version 1.
-- Times are INTEGER milliseconds since the Unix epoch (UTC).
-- Secrets (passwords, client secrets, tokens, codes) are stored hashed only.

CREATE TABLE users (
    id                TEXT PRIMARY KEY,          -- login name, also the wire userId
    display_name      TEXT NOT NULL,
    password_hash     TEXT,                      -- argon2 PHC string; NULL: cannot log in
    profile_thumbnail TEXT,
    banned            INTEGER NOT NULL DEFAULT 0, -- banned from the service as a streamer
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

CREATE TABLE clients (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    secret_hash   TEXT,                          -- argon2 PHC string; NULL: public client
    redirect_uris TEXT NOT NULL,                 -- JSON array of strings
    optional_apis TEXT NOT NULL,                 -- JSON array of OptionalApi names
    created_at    INTEGER NOT NULL
);

-- One row per completed login (an authorization grant): every token issued
-- from it, refreshed or not, belongs to it, so one revocation ends them all.
CREATE TABLE logins (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    client_id  TEXT NOT NULL REFERENCES clients(id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE auth_codes (
    code_hash      TEXT PRIMARY KEY,             -- SHA-256, hex
    login_id       TEXT NOT NULL,                -- the login the code will open
    client_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT,                         -- S256 challenge, RFC 7636 §4.2
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER
);

CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,                 -- SHA-256, hex
    login_id   TEXT NOT NULL REFERENCES logins(id),
    kind       TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    expires_at INTEGER NOT NULL,
    spent_at   INTEGER,                          -- refresh: rotated away
    revoked_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX tokens_by_login ON tokens(login_id);

CREATE TABLE channels (
    id             TEXT PRIMARY KEY,
    owner_id       TEXT NOT NULL REFERENCES users(id),
    name           TEXT NOT NULL,
    enabled        INTEGER NOT NULL DEFAULT 1,
    description    TEXT,
    tags           TEXT,
    thumbnail_url  TEXT,
    follower_count INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX channels_by_owner ON channels(owner_id, updated_at DESC, created_at DESC);

CREATE TABLE lives (
    id           TEXT PRIMARY KEY,
    channel_id   TEXT NOT NULL REFERENCES channels(id),
    title        TEXT NOT NULL,
    description  TEXT,
    reserved_at  INTEGER NOT NULL,
    start_at     INTEGER,
    status       TEXT NOT NULL CHECK (status IN ('RESERVED', 'ON_AIR', 'END')),
    scope        TEXT NOT NULL CHECK (scope IN ('PUBLIC', 'LIMITED', 'PRIVATE')),
    stream_key   TEXT NOT NULL,
    end_reason   TEXT,
    ended_at     INTEGER,
    view_count   INTEGER NOT NULL DEFAULT 0,
    viewer_count INTEGER NOT NULL DEFAULT 0,
    like_count   INTEGER NOT NULL DEFAULT 0,
    chat_count   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX lives_by_channel ON lives(channel_id, updated_at DESC, created_at DESC);
CREATE INDEX lives_on_air ON lives(status) WHERE status = 'ON_AIR';

-- Chat admins of a live (USER_MOD).
CREATE TABLE live_mods (
    live_id    TEXT NOT NULL REFERENCES lives(id),
    user_id    TEXT NOT NULL REFERENCES users(id),
    granted_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (live_id, user_id)
);

-- Chat bans of a live (USER_BAN, USER_BAN_TEMPORARY). until NULL: permanent.
CREATE TABLE live_bans (
    live_id    TEXT NOT NULL REFERENCES lives(id),
    user_id    TEXT NOT NULL REFERENCES users(id),
    until      INTEGER,
    banned_by  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (live_id, user_id)
);

-- seq orders a live's chat; the single writer assigns it in commit order, so
-- a cursor "after seq N" never skips a message that commits later.
CREATE TABLE chat_messages (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    live_id       TEXT NOT NULL REFERENCES lives(id),
    author_id     TEXT NOT NULL REFERENCES users(id),
    author_name   TEXT NOT NULL,
    author_thumb  TEXT,
    message       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    deleted_at    INTEGER,
    deleted_by    TEXT
);
CREATE INDEX chat_by_live ON chat_messages(live_id, seq);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    live_id     TEXT NOT NULL REFERENCES lives(id),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    end_reason  TEXT
);
CREATE INDEX sessions_by_live ON sessions(live_id, started_at DESC);

CREATE TABLE session_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    at         INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT
);
CREATE INDEX events_by_session ON session_events(session_id, seq);
