"""Running the service: start-up (bootstrap), serving, backups, health figures."""
