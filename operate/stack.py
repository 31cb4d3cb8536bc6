"""The services of the hotline, each run as its own process."""

SERVICES = ("intake", "routing", "followup", "notify", "insight", "callcentre", "console")
