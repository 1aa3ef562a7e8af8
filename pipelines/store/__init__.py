"""Stage 4: the warehouse: opening it, one writer (the lock), its storage format, migrations, the load."""
