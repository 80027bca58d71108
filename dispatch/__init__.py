"""The decisions (assignments, rebalancing and swap plans) and the RQ jobs that run them.

Only :mod:`dispatch.queue` touches redis/rq; job functions in :mod:`dispatch.tasks` are thin,
id-based and get their database from the worker's :mod:`dispatch.context`.
"""
