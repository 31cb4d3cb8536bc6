"""Receives citizens' requests, stores tickets, publishes ticket_created."""
