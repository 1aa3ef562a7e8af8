"""Stage 2: plain text to observations, each with the sentence it came from; and the raw folder's
files, read within their limits and parsed in batches."""
