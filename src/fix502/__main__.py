import sys

from fix502.cli import main

sys.exit(main())
