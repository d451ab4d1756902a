"""The unification notifier: a scheduled Lambda that sends the unification emails."""
