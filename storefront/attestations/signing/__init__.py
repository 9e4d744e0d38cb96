"""The platform's Ed25519 signing key: loading, the rules for who may sign, rotation and retired keys."""
