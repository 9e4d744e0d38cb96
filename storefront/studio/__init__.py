"""The artist's studio figures: plays counted per track per day, and this month's sales, plays and payouts."""
