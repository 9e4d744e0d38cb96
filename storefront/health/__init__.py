"""Health: the public liveness answer and the cached probes of the parts behind it."""
