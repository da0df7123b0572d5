-- The process group of a running `run` action and its leader's start time (clock ticks
-- since boot), as SQLite's 0003: the replica that owns the action kills a group its
-- previous run left behind at start-up (only on its own rows, so only on its own host).
ALTER TABLE actions ADD COLUMN pgid bigint;
ALTER TABLE actions ADD COLUMN proc_start bigint;
