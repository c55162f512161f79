"""``python -m adjoint ...``: the ``adjoint`` command, for environments without its script."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="adjoint")
