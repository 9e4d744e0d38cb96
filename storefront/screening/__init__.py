"""Screening: the automated checks every uploaded file goes through, and what they found."""
