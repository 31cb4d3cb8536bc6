"""The contract between the services and the systems around them: typed events,
the broker topology, reason and error codes, ticket numbers, field bounds and the
JSON Schemas generated from them. No nameko, no pymongo."""
