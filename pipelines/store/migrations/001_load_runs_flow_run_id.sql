-- Release 0.2.0: each run records the Prefect flow run that made it, so that `ncmec status`
-- can link to it in Prefect's UI. Runs from before have none.
alter table load_runs add column flow_run_id varchar;
