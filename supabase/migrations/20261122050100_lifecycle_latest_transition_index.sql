-- Lifecycle (@org/lifecycle): stageDistribution reads each subject's latest transition as of an
-- instant (`distinct on (subject_id) ... order by subject_id, occurred_at desc, id desc`). This index
-- returns them in that order with the stage included: an index-only scan, no sort of all transitions.
create index lifecycle_transitions_latest on public.lifecycle_transitions
  (app, subject_type, subject_id, occurred_at desc, id desc) include (to_stage);
