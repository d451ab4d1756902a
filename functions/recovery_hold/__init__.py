"""The recovery hold: a scheduled Lambda that applies approved recovery requests whose hold ended,
and deletes the identity documents of requests decided long enough ago."""
