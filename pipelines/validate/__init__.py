"""Stage 3: the checks: the pandera models, one batch's checks, the batches staged, the checks
across documents."""
