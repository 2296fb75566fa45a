-- People of the standard login servers the service trusts (--trust-issuer):
-- an issuer's subject, mapped to a service user on first sight. Such a
-- user has no password: they log in at their issuer only.
CREATE TABLE external_accounts (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
);
