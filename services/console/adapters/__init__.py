"""The console's I/O: the people's repository (``people``), the templates and the
names of units and categories (``workbench``), the directory's codes (``directory``)."""
