"""Inspecting uploaded audio: sniffing the container, reading tags, decoding, and what artists are told."""
