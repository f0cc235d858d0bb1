"""The model's parts, one module each (DESIGN.md section 3), and the builder that joins them.

* :mod:`narcosim.model.builder`: the default sim from the atlas, and a run's summary;
* supply: :mod:`~narcosim.model.production`, :mod:`~narcosim.model.trafficking`
  (with :mod:`~narcosim.model.narcologic` route choice), :mod:`~narcosim.model.distribution`,
  :mod:`~narcosim.model.dealers`, :mod:`~narcosim.model.ledger` (mass balance);
* people who use drugs: :mod:`~narcosim.model.people` (the per-agent rules compiled in
  :mod:`~narcosim.model.people_kernel`, proved equal to their plain numpy reference
  :mod:`~narcosim.model.people_reference`; parameters in :mod:`~narcosim.model.people_params`);
* the packaged fits: :mod:`~narcosim.model.fitted_supply` (seizures),
  :mod:`~narcosim.model.fitted_people` (deaths), :mod:`~narcosim.model.fitted_posterior`.

Nothing is imported here, so importing one part does not load the others.
"""
