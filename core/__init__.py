"""What every app shares and no app owns: the fenced database-specific paths."""
