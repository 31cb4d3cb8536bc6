"""callcentre: the phone floor -- calls from the PBX, missed callers, agents, the floor's figures."""
