"""The chapters of dlscratch, one runnable script per chapter (see README.md here).

This folder is installed as the package ``dlscratch.chapters`` (``setup.cfg`` maps it),
so that a reader who installed dlscratch with pip, and has no clone, gets the chapters
too: ``dlscratch chapters DIR`` writes them into ``DIR`` as notebooks and scripts
(:func:`dlscratch.notebooks.write_chapters`). Nothing here is meant to be imported: each
``chNN_*.py`` runs its chapter when executed.
"""
