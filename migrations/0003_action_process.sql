-- The process group of a running `run` action and its leader's start time (clock
-- ticks since boot, /proc/PID/stat field 22), recorded right after the spawn: at
-- start-up, a group left running by a killed runbookd is killed if its leader still
-- exists with the same start time (a reused pid does not match).
ALTER TABLE actions ADD COLUMN pgid INTEGER;
ALTER TABLE actions ADD COLUMN proc_start INTEGER;
