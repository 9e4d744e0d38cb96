"""Private listening links: press and radio stream a release, often before it is public, until the link
expires or is revoked. See links.py."""
