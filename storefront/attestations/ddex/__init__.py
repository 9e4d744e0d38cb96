"""DDEX ERN 4.3.2 export of a release."""
