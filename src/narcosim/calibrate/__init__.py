"""Fitting the model to data, and testing it out of sample.

* seizures: :mod:`~narcosim.calibrate.seizures`;
* deaths: :mod:`~narcosim.calibrate.deaths`, :mod:`~narcosim.calibrate.optimise`,
  :mod:`~narcosim.calibrate.seizure_targets`, :mod:`~narcosim.calibrate.elasticity`;
* the posterior: :mod:`~narcosim.calibrate.posterior`,
  :mod:`~narcosim.calibrate.posterior_run`, :mod:`~narcosim.calibrate.posterior_check`;
* forecasts and their evaluation: :mod:`~narcosim.calibrate.forecast`,
  :mod:`~narcosim.calibrate.evaluate`, :mod:`~narcosim.calibrate.evaluation_run`,
  :mod:`~narcosim.calibrate.skill`;
* Operation Last Mile: :mod:`~narcosim.calibrate.last_mile`.

Nothing is imported here, so importing one part does not load the others.
"""
