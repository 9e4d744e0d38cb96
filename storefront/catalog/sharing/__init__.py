"""The catalog as it shows up elsewhere and in caches: feeds, embeddable players and oEmbed, sharing
metadata (Open Graph, Twitter cards, schema.org), and the stamps that public pages' validators are made of."""
