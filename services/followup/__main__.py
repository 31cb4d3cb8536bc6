"""``python -m services.followup ...``: followup's own command (``services.followup.commands``)."""
from services.followup.commands import main

if __name__ == "__main__":
    main()
