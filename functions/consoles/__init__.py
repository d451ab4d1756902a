"""Choosing and switching consoles; the console hand-off."""
