import sys

from ml.cli.commands import main

sys.exit(main())
