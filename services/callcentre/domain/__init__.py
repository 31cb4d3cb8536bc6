"""callcentre's rules: the fold of a call's events, the callback queue, agents' states and the
floor's figures. Pure and typed (mypy --strict): no nameko, pymongo or marshmallow."""
