"""Synthetic data for scale tests and recovery studies: ``cehrs-items simulate``.

- :mod:`~cehrs_items.simulate.params`: 3PL parameters drawn from documented
  distributions and the classical statistics they imply;
- :mod:`~cehrs_items.simulate.stats`: the synthetic statistics table of a bank;
- :mod:`~cehrs_items.simulate.bank`: a synthetic bank of N schema-valid items;
- :mod:`~cehrs_items.simulate.responses`: responses to a form or bank, with ground truth.
"""
