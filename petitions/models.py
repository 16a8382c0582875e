# Petition, Signature and the per-constituency tallies live here (issue 6).
