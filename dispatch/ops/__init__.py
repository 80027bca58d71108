"""Crew operations: the fleet staff's work on vehicles now; rebalancing and battery-swap
plans that crews carry out come next (issue 14)."""
