"""The `ncmec` console script: its commands, the options they share, `ncmec server`, and the guard
that makes every failure one line."""
