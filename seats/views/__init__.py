"""Seats pages, one module per sub-domain: targets (list, map, seat page), agreements and
pacts, vote swaps, and where activists help most. The shared bits are in `common`."""
