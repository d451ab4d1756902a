"""The unifier: a scheduled Lambda that applies planned unifications in batches."""
