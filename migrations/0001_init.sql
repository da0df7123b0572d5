-- runbookd schema, version 1. Times are integer milliseconds since the Unix epoch (UTC).

CREATE TABLE incidents (
  id           INTEGER PRIMARY KEY,
  group_key    TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
  title        TEXT NOT NULL,
  receiver     TEXT NOT NULL DEFAULT '',
  group_labels TEXT NOT NULL DEFAULT '{}',
  opened_at    INTEGER NOT NULL,
  resolved_at  INTEGER
);
-- One open incident per Alertmanager group at a time.
CREATE UNIQUE INDEX incidents_open_group ON incidents (group_key) WHERE status = 'open';
CREATE INDEX incidents_group ON incidents (group_key, id);
CREATE INDEX incidents_status ON incidents (status, id);

CREATE TABLE notifications (
  id               INTEGER PRIMARY KEY,
  incident_id      INTEGER REFERENCES incidents (id),
  received_at      INTEGER NOT NULL,
  group_key        TEXT NOT NULL,
  status           TEXT NOT NULL,
  receiver         TEXT NOT NULL,
  n_alerts         INTEGER NOT NULL,
  truncated_alerts INTEGER NOT NULL,
  changed          INTEGER NOT NULL      -- 0: a retry or repeat that changed nothing
);

-- An alert episode: (fingerprint, starts_ns) is what Alertmanager resends.
CREATE TABLE alerts (
  id            INTEGER PRIMARY KEY,
  incident_id   INTEGER NOT NULL REFERENCES incidents (id),
  fingerprint   TEXT NOT NULL,
  starts_ns     INTEGER NOT NULL,
  starts_at     INTEGER NOT NULL,
  ends_at       INTEGER,
  status        TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
  labels        TEXT NOT NULL,
  annotations   TEXT NOT NULL,
  generator_url TEXT NOT NULL DEFAULT '',
  first_seen    INTEGER NOT NULL,
  last_seen     INTEGER NOT NULL,
  UNIQUE (fingerprint, starts_ns)
);
CREATE INDEX alerts_incident ON alerts (incident_id, id);

CREATE TABLE actions (
  id                INTEGER PRIMARY KEY,
  incident_id       INTEGER NOT NULL REFERENCES incidents (id),
  alert_id          INTEGER NOT NULL REFERENCES alerts (id),
  rule              TEXT NOT NULL,
  on_status         TEXT NOT NULL,
  action            TEXT NOT NULL,
  kind              TEXT NOT NULL,
  state             TEXT NOT NULL,
  rendered          TEXT,                 -- the exact argv / request, fixed at planning
  command_key       TEXT,                 -- canonical rendering, the cooldown key
  dry_run           INTEGER NOT NULL,
  requires_approval INTEGER NOT NULL,
  approvals_needed  INTEGER NOT NULL DEFAULT 1,
  decided_by        TEXT,
  reason            TEXT,
  exit_code         INTEGER,
  term_signal       INTEGER,
  output            TEXT,
  result            TEXT,
  created_at        INTEGER NOT NULL,
  started_at        INTEGER,
  finished_at       INTEGER,
  expires_at        INTEGER,
  -- at most one action per rule, episode and status
  UNIQUE (rule, alert_id, on_status)
);
CREATE INDEX actions_state ON actions (state, id);
CREATE INDEX actions_incident ON actions (incident_id, id);
CREATE INDEX actions_rule_started ON actions (rule, started_at);
CREATE INDEX actions_rule_finished ON actions (rule, finished_at);

CREATE TABLE approvals (
  action_id INTEGER NOT NULL REFERENCES actions (id),
  operator  TEXT NOT NULL,
  decision  TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
  comment   TEXT,
  ts        INTEGER NOT NULL,
  PRIMARY KEY (action_id, operator)
);

-- Append-only timeline. incident_id is NULL for service-wide events (pause, resume).
CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  incident_id INTEGER REFERENCES incidents (id),
  ts          INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  actor       TEXT NOT NULL,
  action_id   INTEGER,
  detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_incident ON events (incident_id, id);
CREATE INDEX events_global ON events (ts) WHERE incident_id IS NULL;
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE rule_state (
  rule       TEXT PRIMARY KEY,
  tripped_at INTEGER,
  reset_at   INTEGER,
  reset_by   TEXT
);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
