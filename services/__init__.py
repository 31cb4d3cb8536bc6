"""The four hotline services, each a nameko service in its own folder."""
