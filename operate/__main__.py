"""``python -m operate ...``: the same as ``hotline-ops ...``."""
from operate.cli import main

if __name__ == "__main__":
    main()
