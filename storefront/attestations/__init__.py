"""HM-1 attestations: the policy, the signed documents, the platform's signing key, certificates, verification, DDEX."""
