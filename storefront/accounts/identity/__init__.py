"""Proving who an artist or label is: website tokens, label vouches and look-alike names."""
