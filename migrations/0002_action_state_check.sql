-- actions.state gets the CHECK incidents and alerts have: the names of
-- src/action_state.c's table. SQLite cannot add a CHECK to a table, so the table is
-- rebuilt (data, ids and indexes kept; the store runs migrations with foreign keys
-- off and checks them before the commit).

CREATE TABLE actions_new (
  id                INTEGER PRIMARY KEY,
  incident_id       INTEGER NOT NULL REFERENCES incidents (id),
  alert_id          INTEGER NOT NULL REFERENCES alerts (id),
  rule              TEXT NOT NULL,
  on_status         TEXT NOT NULL,
  action            TEXT NOT NULL,
  kind              TEXT NOT NULL,
  state             TEXT NOT NULL CHECK (state IN ('planned', 'pending_approval', 'approved',
                      'running', 'succeeded', 'failed', 'timed_out', 'rejected', 'expired',
                      'cancelled', 'skipped', 'dry_run', 'interrupted')),
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

INSERT INTO actions_new (id, incident_id, alert_id, rule, on_status, action, kind, state,
  rendered, command_key, dry_run, requires_approval, approvals_needed, decided_by, reason,
  exit_code, term_signal, output, result, created_at, started_at, finished_at, expires_at)
SELECT id, incident_id, alert_id, rule, on_status, action, kind, state,
  rendered, command_key, dry_run, requires_approval, approvals_needed, decided_by, reason,
  exit_code, term_signal, output, result, created_at, started_at, finished_at, expires_at
FROM actions;

DROP TABLE actions;
ALTER TABLE actions_new RENAME TO actions;

CREATE INDEX actions_state ON actions (state, id);
CREATE INDEX actions_incident ON actions (incident_id, id);
CREATE INDEX actions_rule_started ON actions (rule, started_at);
CREATE INDEX actions_rule_finished ON actions (rule, finished_at);
