"""The browser pages (one app shell) and their static assets."""
