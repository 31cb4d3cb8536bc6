"""Code every hotline service shares: the event contract, the MongoDB
dependency provider, configuration, messaging helpers and the working-day
calendar."""
