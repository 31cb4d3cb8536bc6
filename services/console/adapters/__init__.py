"""The console's I/O: the people's repository (``people``), the templates and the
directory's names (``workbench``)."""
