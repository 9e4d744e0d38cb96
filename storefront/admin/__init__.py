"""The platform administrators' pages: users, labels the platform verifies and trusts, the parts' state."""
