"""Audio files made from masters for fans and the player: renditions, previews, archives, downloads."""
