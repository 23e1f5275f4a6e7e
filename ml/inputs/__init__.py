"""Untrusted bytes to arrays: image decoding, the zip reader, labels from file names."""
