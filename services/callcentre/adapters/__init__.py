"""callcentre's adapters: one repository per aggregate (calls with their events, the
callback queue, agents, the CTI token) over callcentre's database, and RPC to insight."""
