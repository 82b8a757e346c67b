"""The textbook's module tree, backed by dlscratch: run *Deep Learning from Scratch*'s code.

The book's repository (``oreilly-japan/deep-learning-from-scratch``) imports its own
modules: ``dataset.mnist``, ``common.layers``, ``common.trainer``, ... and, from each
chapter's folder, ``two_layer_net``, ``simple_convnet`` and the like. This package holds
the same names with the book's signatures and defaults, implemented by dlscratch:

==========================================  ===============================================
book module                                 here
==========================================  ===============================================
``dataset.mnist``                           :mod:`dlscratch.book.dataset.mnist`
``common.functions``                        :mod:`dlscratch.book.common.functions`
``common.gradient``                         :mod:`dlscratch.book.common.gradient`
``common.layers``                           :mod:`dlscratch.book.common.layers`
``common.optimizer``                        :mod:`dlscratch.book.common.optimizer`
``common.trainer``                          :mod:`dlscratch.book.common.trainer`
``common.util``                             :mod:`dlscratch.book.common.util`
``common.multi_layer_net``                  :mod:`dlscratch.book.common.multi_layer_net`
``common.multi_layer_net_extend``           :mod:`dlscratch.book.common.multi_layer_net_extend`
``and_gate``, ``nand_gate``, ``or_gate``    :mod:`dlscratch.book.ch02.and_gate`, ... (ch02)
``gradient_2d``, ``two_layer_net`` (ch04)   :mod:`dlscratch.book.ch04.gradient_2d`, ...
``layer_naive``, ``two_layer_net`` (ch05)   :mod:`dlscratch.book.ch05.layer_naive`, ...
``simple_convnet`` (ch07)                   :mod:`dlscratch.book.ch07.simple_convnet`
``deep_convnet`` (ch08)                     :mod:`dlscratch.book.ch08.deep_convnet`
==========================================  ===============================================

In a notebook, type the book's code with these imports, e.g.
``from dlscratch.book.common.layers import Affine, Relu``. To run one of the book's
scripts unchanged, from a checkout of the book::

    python -m dlscratch.book ch05/train_neuralnet.py

(see :mod:`dlscratch.book.runner`). Where the book's code differs from dlscratch's on
purpose -- its networks compute in float64, its dropout is not inverted -- these modules
follow the book, so that its scripts print the book's numbers. Randomness: the book draws
from NumPy's global generator; these classes take a ``seed`` keyword instead (default
None: fresh numbers on every run, as the book's scripts get).
"""
