"""Sign-in, tokens, devices, and the one place that decides who may call what."""
