"""Model families and their steps, calibration, the digit-or-not gate, artifacts and the compact form."""
