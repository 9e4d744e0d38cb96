"""Payees: the connected accounts artists and labels are paid into, and who is paid for a release."""
