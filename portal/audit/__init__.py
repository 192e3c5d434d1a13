"""The access log (DPA 2018 s.62): events, recorder, hash chain, checkpoints, verification."""
