"""Inspecting uploaded audio: sniffing the container, reading tags, decoding, and the messages artists read."""
