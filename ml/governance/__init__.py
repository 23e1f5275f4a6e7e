"""Roles and capabilities, accounts and passwords, quotas, admin settings and the audit chain."""
