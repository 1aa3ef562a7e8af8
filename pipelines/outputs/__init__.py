"""What users see: export, report, explain, status, query (in a sandbox), and how they print and
write (atomically, never over what is not theirs)."""
