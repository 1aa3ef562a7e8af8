-- Release 0.2.0: each run made against a configured Prefect server records its flow run's
-- page in that server's UI, so that `ncmec status` can link to it. A run on Prefect's temporary
-- server has none: that server is gone when the run ends.
alter table load_runs add column flow_run_url varchar;
