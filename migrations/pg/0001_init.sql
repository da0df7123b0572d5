-- runbookd schema for PostgreSQL, version 1: the SQLite schema (migrations/0001, 0002)
-- plus what several replicas on one database need: the owner of a running action and
-- the replicas' heartbeats. Times are bigint milliseconds since the Unix epoch (UTC).

CREATE TABLE incidents (
  id           bigserial PRIMARY KEY,
  group_key    text NOT NULL,
  status       text NOT NULL CHECK (status IN ('open', 'resolved')),
  title        text NOT NULL,
  receiver     text NOT NULL DEFAULT '',
  group_labels text NOT NULL DEFAULT '{}',
  opened_at    bigint NOT NULL,
  resolved_at  bigint
);
-- One open incident per Alertmanager group at a time.
CREATE UNIQUE INDEX incidents_open_group ON incidents (group_key) WHERE status = 'open';
CREATE INDEX incidents_group ON incidents (group_key, id);
CREATE INDEX incidents_status ON incidents (status, id);

CREATE TABLE notifications (
  id               bigserial PRIMARY KEY,
  incident_id      bigint REFERENCES incidents (id),
  received_at      bigint NOT NULL,
  group_key        text NOT NULL,
  status           text NOT NULL,
  receiver         text NOT NULL,
  n_alerts         integer NOT NULL,
  truncated_alerts bigint NOT NULL,
  changed          integer NOT NULL
);

-- An alert episode: (fingerprint, starts_ns) is what Alertmanager resends.
CREATE TABLE alerts (
  id            bigserial PRIMARY KEY,
  incident_id   bigint NOT NULL REFERENCES incidents (id),
  fingerprint   text NOT NULL,
  starts_ns     bigint NOT NULL,
  starts_at     bigint NOT NULL,
  ends_at       bigint,
  status        text NOT NULL CHECK (status IN ('firing', 'resolved')),
  labels        text NOT NULL,
  annotations   text NOT NULL,
  generator_url text NOT NULL DEFAULT '',
  first_seen    bigint NOT NULL,
  last_seen     bigint NOT NULL,
  UNIQUE (fingerprint, starts_ns)
);
CREATE INDEX alerts_incident ON alerts (incident_id, id);

CREATE TABLE actions (
  id                bigserial PRIMARY KEY,
  incident_id       bigint NOT NULL REFERENCES incidents (id),
  alert_id          bigint NOT NULL REFERENCES alerts (id),
  rule              text NOT NULL,
  on_status         text NOT NULL,
  action            text NOT NULL,
  kind              text NOT NULL,
  state             text NOT NULL CHECK (state IN ('planned', 'pending_approval', 'approved',
                      'running', 'succeeded', 'failed', 'timed_out', 'rejected', 'expired',
                      'cancelled', 'skipped', 'dry_run', 'interrupted')),
  rendered          text,
  command_key       text,
  dry_run           integer NOT NULL,
  requires_approval integer NOT NULL,
  approvals_needed  integer NOT NULL DEFAULT 1,
  decided_by        text,
  reason            text,
  exit_code         integer,
  term_signal       integer,
  output            text,
  result            text,
  created_at        bigint NOT NULL,
  started_at        bigint,
  finished_at       bigint,
  expires_at        bigint,
  owner             text,                 -- the replica that claimed it (running)
  UNIQUE (rule, alert_id, on_status)
);
CREATE INDEX actions_state ON actions (state, id);
CREATE INDEX actions_incident ON actions (incident_id, id);
CREATE INDEX actions_rule_started ON actions (rule, started_at);
CREATE INDEX actions_rule_finished ON actions (rule, finished_at);
CREATE INDEX actions_running_owner ON actions (owner) WHERE state = 'running';

CREATE TABLE approvals (
  action_id bigint NOT NULL REFERENCES actions (id),
  operator  text NOT NULL,
  decision  text NOT NULL CHECK (decision IN ('approve', 'reject')),
  comment   text,
  ts        bigint NOT NULL,
  PRIMARY KEY (action_id, operator)
);

-- Append-only timeline. incident_id is NULL for service-wide events (pause, resume).
CREATE TABLE events (
  id          bigserial PRIMARY KEY,
  incident_id bigint REFERENCES incidents (id),
  ts          bigint NOT NULL,
  kind        text NOT NULL,
  actor       text NOT NULL,
  action_id   bigint,
  detail      text NOT NULL DEFAULT '{}'
);
CREATE INDEX events_incident ON events (incident_id, id);
CREATE INDEX events_global ON events (ts) WHERE incident_id IS NULL;
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();

CREATE TABLE rule_state (
  rule       text PRIMARY KEY,
  tripped_at bigint,
  reset_at   bigint,
  reset_by   text
);

CREATE TABLE settings (
  key   text PRIMARY KEY,
  value text NOT NULL
);

-- Replicas heartbeat here (database time); a replica silent for longer than the lease
-- is dead and its running actions become interrupted.
CREATE TABLE replicas (
  id         text PRIMARY KEY,
  started_at bigint NOT NULL,
  last_seen  bigint NOT NULL
);
