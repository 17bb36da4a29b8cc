"""The bundle's entry point: `alertview` frozen by PyInstaller (see alertview.spec).

The stream and file-import processes are started with multiprocessing's "spawn":
in a frozen executable the child is this same executable, so it must hand over to
multiprocessing before its arguments are parsed as `alertview` arguments.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from alertview.cli import main

    sys.exit(main())
