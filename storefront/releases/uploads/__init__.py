"""Uploads of masters and artwork: tickets, transfers, validation, the pipeline's states and the sweep."""
