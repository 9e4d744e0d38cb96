"""Transcoding masters into the download formats: encoders, output sinks and batches."""
