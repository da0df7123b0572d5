-- Only the indexes a query uses (tests/unit/test_store.c checks every statement's
-- EXPLAIN QUERY PLAN). The cooldown lookup, max(started_at) for one rule and command,
-- reads one index entry instead of the rule's whole run history; events_global was
-- used by no query (the timeline reads service-wide events through events_incident).

CREATE INDEX actions_rule_key_started ON actions (rule, command_key, started_at);
DROP INDEX events_global;
