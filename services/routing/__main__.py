"""``python -m services.routing ...``: routing's own command (``services.routing.commands``)."""
from services.routing.commands import main

if __name__ == "__main__":
    main()
