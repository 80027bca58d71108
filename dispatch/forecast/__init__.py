"""Demand forecasting: pure computation on hourly tables, no IO (the CLI and the queue's jobs
read and write; import-linter keeps this room free of them).

``hours`` parses tables, ``features`` says what a model may know when, ``models`` holds the
named forecasters, ``evaluation`` scores them against actual counts.
"""
