"""The platform every service stands on: messaging and the outbox, the store,
identity, doors and principals, operations (health, metrics, logs), the web
layer and configuration."""
