"""Copy detection at catalog scale: an inverted index of fingerprint sub-values, kept in the database."""
