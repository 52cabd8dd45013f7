"""`python -m hub ...` is the same as the `nqf-hub` console script."""
from hub.cli import main

if __name__ == "__main__":
    main()
