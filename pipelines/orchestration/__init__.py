"""One run as plain functions (run), and the Prefect side: which server a run uses, a run's
temporary server, the processes a run starts, the artifacts it publishes."""
