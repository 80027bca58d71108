"""The couriers' room: the cheapest insertion of a job (``insertion``, pure), one planning
pipeline for insertion and the OR-Tools re-plan (``planning``), posting jobs (``posting``),
re-plans (``replan``), what couriers do (``actions``, ``swaps``) and what merchants, managers
and customers see (``views``); ``service`` says what it all runs on."""
