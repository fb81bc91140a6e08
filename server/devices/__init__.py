"""Devices: the tablets and browsers users sign in from, and their revocation (a lost tablet)."""
