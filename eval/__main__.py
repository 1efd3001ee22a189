"""`python -m eval` — see eval/README.md."""
from eval.run import main

raise SystemExit(main())
