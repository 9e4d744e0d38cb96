"""Payouts: transfers to sellers' connected accounts, their reversals, earnings reports, reconciliation."""
